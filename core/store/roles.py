"""PostgreSQL roles: the owner runs migrations; the app's own role may only INSERT and SELECT audit rows.

The owner role owns the schema (tables, triggers, functions). The app role owns nothing and is granted:
SELECT, INSERT, UPDATE, DELETE on every table but `audit_events` (SELECT, INSERT) and `alembic_version`
(SELECT); USAGE and SELECT on the sequences (nextval for new rows; never setval); EXECUTE on
`audit_chain_tail()` (the audit chain's lock). Without ownership it cannot TRUNCATE, ALTER, DROP or switch off
a trigger on `audit_events`, and without UPDATE or DELETE it cannot change a row. `grant_app_role` sets exactly
that (revoking whatever else it had) and checks the result; migrations re-apply it so later tables are covered.
"""
from __future__ import annotations

from sqlalchemy import Connection, make_url, text

from core.errors import ConfigError

AUDIT_TABLE = "audit_events"
TABLE_PRIVILEGES = {AUDIT_TABLE: "SELECT, INSERT", "alembic_version": "SELECT"}
DEFAULT_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
NEVER_ON_AUDIT = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")


def app_role(app_url: str, owner_url: str | None) -> str | None:
    """The app's own role when the deployment has two (an owner URL naming another user), else None."""
    if not owner_url:
        return None
    app, owner = make_url(app_url), make_url(owner_url)
    if not app.drivername.startswith("postgresql") or not app.username or app.username == owner.username:
        return None
    return app.username


def role_exists(conn: Connection, role: str) -> bool:
    return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is not None


def _ddl(conn: Connection, template: str, *identifiers: str, literal: str | None = None) -> str:
    """Run one statement with quoted identifiers (and at most one literal) on the connection's transaction."""
    from psycopg import sql

    parts = [sql.Identifier(i) for i in identifiers] + ([sql.Literal(literal)] if literal is not None else [])
    statement = sql.SQL(template).format(*parts)
    dbapi = conn.connection.dbapi_connection
    with dbapi.cursor() as cur:
        cur.execute(statement)
        shown = statement.as_string(dbapi)
    return shown if literal is None else shown.replace(sql.Literal(literal).as_string(dbapi), "'…'")


def grant_app_role(conn: Connection, role: str, *, password: str | None = None) -> list[str]:
    """Give `role` exactly the app's privileges in this database (creating it, LOGIN, when a password is given
    and it does not exist: the connecting role then needs CREATEROLE). Returns the statements run."""
    if conn.dialect.name != "postgresql":
        raise ConfigError("Separate owner and app roles are for PostgreSQL; SQLite has no roles.")
    schema, me = conn.execute(text("SELECT current_schema(), current_user")).one()
    audit_owner = conn.execute(text("SELECT tableowner FROM pg_tables WHERE schemaname = :s AND tablename = :t"),
                               {"s": schema, "t": AUDIT_TABLE}).scalar()
    if audit_owner is None:
        raise ConfigError(f"No {AUDIT_TABLE} table in schema {schema}: run `python -m core.cli migrate` first.")
    done: list[str] = []
    if not role_exists(conn, role):
        if password is None:
            raise ConfigError(f"Role {role!r} does not exist: create it (LOGIN) or give a password to create it with.")
        done.append(_ddl(conn, "CREATE ROLE {} LOGIN PASSWORD {}", role, literal=password))
    info = conn.execute(text(
        "SELECT r.rolsuper, r.rolbypassrls, pg_has_role(r.oid, :owner, 'MEMBER') AS in_owner, "
        "  (SELECT count(*) FROM pg_class WHERE relowner = r.oid) + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)"
        "  + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid) + (SELECT count(*) FROM pg_type WHERE typowner = r.oid)"
        "  AS owned FROM pg_roles r WHERE r.rolname = :r"), {"r": role, "owner": audit_owner}).one()
    if role in (me, audit_owner):
        raise ConfigError(f"Role {role!r} is the owner ({'it runs this command' if role == me else 'it owns the tables'}): "
                          "the app needs a role of its own that owns nothing.")
    if info.rolsuper:
        raise ConfigError(f"Role {role!r} is a superuser: it could rewrite anything. Give the app an ordinary role.")
    if info.in_owner:
        raise ConfigError(f"Role {role!r} is a member of the owner role {audit_owner!r} and would act as it: "
                          f"REVOKE {audit_owner} FROM {role}.")
    if info.owned:
        raise ConfigError(f"Role {role!r} owns {info.owned} object(s) in this database; the app's role must own nothing "
                          "(REASSIGN OWNED BY it TO the owner).")
    done.append(_ddl(conn, "REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}", schema, role))
    done.append(_ddl(conn, "REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}", schema, role))
    database = conn.execute(text("SELECT current_database()")).scalar()
    done.append(_ddl(conn, "GRANT CONNECT ON DATABASE {} TO {}", database, role))
    done.append(_ddl(conn, "GRANT USAGE ON SCHEMA {} TO {}", schema, role))
    tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"), {"s": schema})
    for (table,) in list(tables):
        privileges = TABLE_PRIVILEGES.get(table, DEFAULT_PRIVILEGES)
        done.append(_ddl(conn, f"GRANT {privileges} ON TABLE {{}}.{{}} TO {{}}", schema, table, role))
    done.append(_ddl(conn, "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}", schema, role))
    if conn.execute(text("SELECT to_regprocedure(quote_ident(:s) || '.audit_chain_tail()')"), {"s": schema}).scalar():
        # The chain's lock and tail (core/store/chain.py); PUBLIC may run it by default, but not everywhere.
        done.append(_ddl(conn, "GRANT EXECUTE ON FUNCTION {}.audit_chain_tail() TO {}", schema, role))
    # Privileges can also come through PUBLIC or another role it belongs to: check what it can really do.
    leaks = [p for p in NEVER_ON_AUDIT if conn.execute(
        text("SELECT has_table_privilege(:r, quote_ident(:s) || '.' || quote_ident(:t), :p)"),
        {"r": role, "s": schema, "t": AUDIT_TABLE, "p": p}).scalar()]
    if leaks:
        raise ConfigError(f"Role {role!r} can still {', '.join(leaks)} {AUDIT_TABLE} (through PUBLIC or another role it "
                          "is a member of): revoke that first.")
    return done
