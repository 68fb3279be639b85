"""Alembic environment: the app passes its own connection; the alembic CLI uses DATABASE_OWNER_URL, else DATABASE_URL."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from core.config import database_owner_url, database_url
from core.store.models import Base

target_metadata = Base.metadata


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    with create_engine(database_owner_url() or database_url()).begin() as conn:
        _run(conn)
