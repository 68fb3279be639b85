"""The SQL store: models, engine, migrations and the unit of work."""
from core.store.engine import Store

__all__ = ["Store"]
