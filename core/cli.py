"""Command line: `python -m core.cli <command>`; the database is DATABASE_URL or the SQLite default.

  migrate                         bring the schema up to date
  seed [--reset] [--scale S]      seed the demo partnership (S: demo or county); --reset wipes first
  create-admin USERNAME ...       bootstrap the first administrator of a real deployment
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys
import time

from core.config import database_url
from core.errors import HubError


def _store(migrate: bool = True):  # noqa: ANN202
    from core.store import Store

    return Store(database_url(), migrate=migrate)


def cmd_migrate(_args: argparse.Namespace) -> int:
    store = _store()
    print(f"schema up to date on {store.engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from core.demo import is_empty, reset_database, seed_demo

    store = _store()
    if args.reset:
        reset_database(store)
    elif not is_empty(store):
        print("The database already has users; use --reset to wipe it and seed again.", file=sys.stderr)
        return 2
    started = time.perf_counter()
    counts = seed_demo(store, scale=args.scale)
    took = time.perf_counter() - started
    print(f"seeded the {args.scale} partnership in {took:.1f} s:")
    for table, n in counts.items():
        print(f"  {table:<24} {n:>8,}")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    """Create an agency (if new) and an administrator in it; for a fresh, empty deployment."""
    from sqlalchemy import select

    from core.domain import Role
    from core.passwords import hash_password, validate_password
    from core.services.accounts import USERNAME_RE
    from core.services.audit import record
    from core.store.models import Agency, User

    password = os.environ.get("PH_ADMIN_PASSWORD") or getpass.getpass("Password for the new administrator: ")
    username = args.username.strip().lower()
    if not USERNAME_RE.match(username):
        print("Username: use 3-40 lower-case letters, digits, dots, hyphens or underscores.", file=sys.stderr)
        return 2
    validate_password(password, username=username)
    store = _store()
    with store.uow() as uow:
        if uow.session.scalar(select(User.id).where(User.username == username)) is not None:
            print(f"Username {username!r} already exists.", file=sys.stderr)
            return 2
        agency = uow.session.scalar(select(Agency).where(Agency.code == args.agency_code.upper()))
        if agency is None:
            agency = Agency(code=args.agency_code.upper(), name=args.agency_name or args.agency_code.upper(), remit=[])
            uow.session.add(agency)
            uow.flush()
        user = User(username=username, name=args.name, email=args.email or "", role=Role.ADMIN.value,
                    agency_id=agency.id, password_hash=hash_password(password))
        uow.session.add(user)
        uow.flush()
        record(uow.session, None, action="user.create", entity="user", entity_id=user.id,
               after={"username": username, "role": "admin", "agency_id": agency.id}, summary=f"created administrator {username} from the command line")
        uow.commit()
    print(f"created administrator {username} in {agency.name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.cli", description="Partnership Hub administration")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the schema up to date").set_defaults(func=cmd_migrate)
    seed = sub.add_parser("seed", help="seed the demo partnership")
    seed.add_argument("--reset", action="store_true", help="wipe the database first (everything, audit included)")
    seed.add_argument("--scale", choices=["demo", "county"], default="demo")
    seed.set_defaults(func=cmd_seed)
    admin = sub.add_parser("create-admin", help="create the first administrator (password from PH_ADMIN_PASSWORD or a prompt)")
    admin.add_argument("username")
    admin.add_argument("--name", required=True)
    admin.add_argument("--email", default="")
    admin.add_argument("--agency-code", required=True)
    admin.add_argument("--agency-name", default="")
    admin.set_defaults(func=cmd_create_admin)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except HubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
