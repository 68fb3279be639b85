"""Command line: `python -m core.cli <command>`; the database is DATABASE_URL or the SQLite default.

With DATABASE_OWNER_URL set (PostgreSQL with two roles), schema changes run as that owner and DATABASE_URL is
the app's own role, which may only INSERT and SELECT audit rows.

  migrate                         bring the schema up to date (as the owner; then re-grant the app role)
  grant-app-role ROLE             create (if missing) and grant the app's PostgreSQL role its privileges
  audit verify                    check the audit log's hash chain (exit 0 intact, 1 broken, 2 cannot read)
  seed [--reset] [--scale S]      seed the demo partnership (S: demo or county); --reset wipes first
  create-admin USERNAME ...       bootstrap the first administrator of a real deployment
  link FOLDER [--mapping M] --out CSV   match the records of every CSV/XLSX in a folder (no database)
"""
from __future__ import annotations

import argparse
import csv
import getpass
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core.config import database_owner_url, database_url
from core.errors import ConfigError, HubError


def _store(migrate: bool = True):  # noqa: ANN202
    from core.store import Store

    return Store(database_url(), migrate=migrate, owner_url=database_owner_url())


def _shown(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_migrate(_args: argparse.Namespace) -> int:
    store = _store(migrate=False)
    granted = store.migrate()
    print(f"schema up to date on {_shown(store.owner_url or store.url)}")
    role = store.app_role
    if role and granted is None:
        print(f"The app's role {role!r} (DATABASE_URL) does not exist yet: run "
              f"`python -m core.cli grant-app-role {role}`.", file=sys.stderr)
    elif role:
        print(f"app role {role}: SELECT, INSERT on audit_events; SELECT, INSERT, UPDATE, DELETE on the other tables")
    return 0


def _regrant(store) -> None:  # noqa: ANN001
    """After the owner recreated tables (seed --reset), give the app's role its privileges on them again."""
    from core.store.roles import app_role, grant_app_role, role_exists

    role = app_role(database_url(), database_owner_url())
    if role:
        with store.engine.begin() as conn:
            if role_exists(conn, role):
                grant_app_role(conn, role)


def cmd_seed(args: argparse.Namespace) -> int:
    from core.demo import is_empty, reset_database, seed_demo
    from core.store import Store

    # Seeding (and wiping) is the owner's work when there is one: the app's role may not reset sequences or drop tables.
    store = Store(database_owner_url() or database_url())
    if args.reset:
        reset_database(store)
        _regrant(store)
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


def cmd_grant_app_role(args: argparse.Namespace) -> int:
    """Create (if missing) and grant the app's own PostgreSQL role; connects as DATABASE_OWNER_URL."""
    from sqlalchemy import make_url

    from core.store.engine import make_engine
    from core.store.roles import grant_app_role, role_exists

    owner_url = database_owner_url() or database_url()
    if not owner_url.startswith("postgresql"):
        raise ConfigError("grant-app-role is for PostgreSQL: set DATABASE_OWNER_URL to the owner's connection.")
    engine = make_engine(owner_url)
    try:
        with engine.begin() as conn:
            password = None
            if not role_exists(conn, args.role):
                if args.no_create:
                    raise ConfigError(f"Role {args.role!r} does not exist (and --no-create was given).")
                app = make_url(database_url())
                password = os.environ.get("PH_APP_DB_PASSWORD") or (
                    app.password if app.username == args.role and app.password else None
                ) or getpass.getpass(f"Password for the new role {args.role}: ")
            done = grant_app_role(conn, args.role, password=password)
    finally:
        engine.dispose()
    for statement in done:
        print(statement)
    print(f"{args.role} may now SELECT and INSERT audit rows (never UPDATE, DELETE, TRUNCATE, ALTER or DROP them) and "
          "read and write the other tables; it owns nothing.")
    return 0


def _anchor(value: str) -> tuple[int, str]:
    row_id, _, kept = value.partition(":")
    if not row_id.strip().isdigit() or len(kept.strip()) != 64:
        raise argparse.ArgumentTypeError("give ID:HASH as printed by `audit verify` (head #ID HASH)")
    return int(row_id), kept.strip().lower()


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Walk the audit log's hash chain; 0 intact, 1 broken (the first bad row is named), 2 cannot read it."""
    from sqlalchemy import select
    from sqlalchemy.exc import DBAPIError

    from core.store.chain import verify
    from core.store.models import AuditEvent

    anchors = args.expect or []
    store = _store(migrate=False)
    try:
        with store.engine.connect() as conn:
            report = verify(conn)
            found = dict(conn.execute(select(AuditEvent.id, AuditEvent.hash)
                                      .where(AuditEvent.id.in_([a[0] for a in anchors]))).all()) if anchors else {}
    except DBAPIError as exc:
        print(f"error: the audit log cannot be read on {_shown(store.url)} ({str(exc.orig).strip().splitlines()[0]}); "
              "is the schema up to date (`python -m core.cli migrate`)?", file=sys.stderr)
        return 2
    finally:
        store.dispose()
    head = f"head #{report.head_id} {report.head_hash}" if report.rows else "empty"
    lost = [f"#{row_id}" for row_id, kept in anchors if found.get(row_id) != kept]
    if report.ok and not lost:
        print(f"audit chain intact: {report.rows:,} rows; {head}")
        return 0
    if lost:
        print(f"audit chain BROKEN: row(s) {', '.join(lost)} no longer carry the hash given with --expect "
              "(rows removed from the end, or the chain rewritten)")
    if report.ok:
        print(f"{report.rows:,} rows checked; {head}")
        return 1
    first = report.first
    print(f"audit chain BROKEN: first bad row #{first.id} ({first.kind}): {first.detail}")
    for b in report.breaks[1:]:
        print(f"  also #{b.id} ({b.kind}): {b.detail}")
    if report.more:
        print(f"  and {report.more} more")
    print(f"{report.rows:,} rows checked; {head}")
    return 1


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
    validate_password(password, username=username, name=args.name, email=args.email or "")
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


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def _folder_files(folder: Path, mapping_path: str | None, out: Path) -> list[tuple[Path, str, dict | None]]:
    """(file, agency, columns or None for the suggestion) for each file to read."""
    from core.errors import ValidationError
    from core.importing.mapping import load_mapping

    if not folder.is_dir():
        raise ValidationError(f"{folder} is not a folder.")
    found = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".csv", ".xlsx") and p.resolve() != out.resolve())
    if mapping_path is None:
        return [(p, p.stem, None) for p in found]
    if not Path(mapping_path).is_file():
        raise ValidationError(f"Mapping file {mapping_path} not found.")
    entries = load_mapping(Path(mapping_path).read_text(encoding="utf-8"))
    by_name = {p.name: p for p in found}
    missing = [e.file for e in entries if e.file not in by_name]
    if missing:
        raise ValidationError(f"The mapping names file(s) not in {folder}: {', '.join(missing)}.")
    listed = {e.file for e in entries}
    for p in found:
        if p.name not in listed:
            _log(f"{p.name}: not in the mapping, skipped")
    return [(by_name[e.file], e.agency or by_name[e.file].stem, e.columns) for e in entries]


def read_folder(folder: Path, mapping_path: str | None, out: Path | None = None) -> list | None:
    """The records of every file of a folder as MatchInputs (record id "<file stem>:<reference>"), or None
    when a file has errors (each is printed). `out` is left out of the files read."""
    from core.importing.mapping import suggest_mapping
    from core.importing.reader import read_table
    from core.importing.validate import check, report_frame
    from core.matching import MatchInput

    records: list[MatchInput] = []
    failed = False
    files = _folder_files(folder, mapping_path, out or folder / ".none")
    # Each file is parsed in a child process of its own (core.importing.sandbox), so reading them from a
    # thread per core parses them side by side; checking each one stays here, in file order.
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, min(len(files), os.cpu_count() or 1))) as pool:
        tables = pool.map(lambda f: read_table(f[0].read_bytes(), f[0].name), files)
        read = list(tables)
    _log(f"read {len(files)} file(s) in {time.perf_counter() - t0:.2f} s")
    for (path, agency, columns), table in zip(files, read):
        t0 = time.perf_counter()
        if columns is None:
            columns = suggest_mapping(table.frame)
            if not columns["reference"] or not (columns["name"] or columns["address"]):
                _log(f"{path.name}: no reference and name or address columns recognised, skipped (use --mapping)")
                continue
        checked = check(table.frame, columns)
        if checked.errors:
            failed = True
            report = report_frame(checked.errors)
            _log(f"{path.name}: {len(checked.errors):,} error(s); the first ones:")
            _log(report.head(20).to_string(index=False))
            continue
        stem = path.stem
        records += [MatchInput(record_id=f"{stem}:{r.reference}", source=stem, trading_name=r.trading_name,
                               company_name=r.company_name, address=r.address, postcode=r.postcode, phone=r.phone,
                               contact=r.contact, last_contact=r.last_contact) for r in checked.rows]
        _log(f"{path.name}: agency {agency}, {len(checked.rows):,} records, {len(checked.warnings):,} warnings, "
             f"checked in {time.perf_counter() - t0:.2f} s")
    return None if failed else records


def cmd_link(args: argparse.Namespace) -> int:
    """Read, check and match every file of a folder; write record_id,cluster_id,site_id,score."""
    from core.matching import MatchSettings, link

    out = Path(args.out)
    started = time.perf_counter()
    records = read_folder(Path(args.folder), args.mapping, out)
    if records is None:
        _log("Nothing was linked: correct the errors above (or the mapping) and run again.")
        return 1
    if not records:
        _log("No records to link: the folder holds no usable .csv or .xlsx files.")
        return 1
    t0 = time.perf_counter()
    result = link(records, settings=MatchSettings(learn=getattr(args, "weights", "hand") == "learned"))
    t1 = time.perf_counter()
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["record_id", "cluster_id", "site_id", "score"])
        for rec in records:
            writer.writerow([rec.record_id, result.cluster_of[rec.record_id], result.site_of[rec.record_id],
                             round(result.score_of[rec.record_id], 1)])
    if getattr(args, "pairs", None):
        with Path(args.pairs).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["record_a", "record_b", "score"])
            writer.writerows([p.a, p.b, p.score] for p in result.pairs)
    stats = result.stats
    _log(f"linked {len(records):,} records into {len(set(result.cluster_of.values())):,} clusters in {t1 - t0:.2f} s "
         f"({int(stats.get('candidate_pairs', 0)):,} candidate pairs, {len(result.questions):,} pairs to review "
         f"(of {len(result.review):,} uncertain), "
         f"{len(result.connections):,} connections)")
    stages = ", ".join(f"{k.removeprefix('seconds_')} {v:.2f} s" for k, v in stats.items() if k.startswith("seconds_"))
    if stages:
        _log(f"stages: {stages}")
    _log(f"wrote {out} in {time.perf_counter() - t1:.2f} s; total {time.perf_counter() - started:.2f} s")
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
    grant = sub.add_parser("grant-app-role", help="create (if missing) and grant the app's PostgreSQL role "
                                                  "(connects as DATABASE_OWNER_URL; a new role's password comes from "
                                                  "PH_APP_DB_PASSWORD, DATABASE_URL or a prompt)")
    grant.add_argument("role")
    grant.add_argument("--no-create", action="store_true", help="fail if the role does not exist")
    grant.set_defaults(func=cmd_grant_app_role)
    audit_cmd = sub.add_parser("audit", help="the audit log")
    audit_sub = audit_cmd.add_subparsers(dest="audit_command", required=True)
    verify_cmd = audit_sub.add_parser("verify", help="check the hash chain: exit 0 intact, 1 broken, 2 cannot read it")
    verify_cmd.add_argument("--expect", action="append", type=_anchor, metavar="ID:HASH",
                            help="a head printed earlier (kept outside the database): row ID must still carry HASH")
    verify_cmd.set_defaults(func=cmd_audit_verify)
    linker = sub.add_parser("link", help="match the records of every .csv/.xlsx in a folder into businesses (no database)")
    linker.add_argument("folder")
    linker.add_argument("--mapping", help="a mapping YAML (see README); without it each file's columns are guessed "
                                          "and its agency is the file name")
    linker.add_argument("--out", required=True, help="the CSV to write: record_id,cluster_id,site_id,score")
    linker.add_argument("--pairs", help="also write every pair scored at or above the review threshold: "
                                        "record_a,record_b,score (the score is the match probability in per cent)")
    linker.add_argument("--weights", choices=["hand", "learned"], default="hand",
                        help="hand-set weights, or weights learned from these records (EM, core/matching/em.py)")
    linker.set_defaults(func=cmd_link)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except HubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
