"""The command line: ``python -m bot <command>`` (also installed as ``gridbot``).

Commands for operators: run the bot, try it in the offline demo, create the area
tree with the first admin's invite, make invites, list the tree, back up the
database, check a config file. Every error is one line, in words, with exit status 2:
a bad config (naming the key), a bad request, a database missing where one was expected,
or one that cannot be used (corrupt, from a newer gridbot, locked); 1 only for an interrupt.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
import typing
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot import cli_evaluation
from bot.clock import SystemClock
from bot.config import TOKEN_ENV, Config, ConfigError, load_config
from bot.qr import deep_link, qr_png, qr_text
from bot.services import areas as area_service
from bot.services import members as member_service
from bot.services import upkeep
from bot.services.areas import AreaAmbiguous, AreaFileError, AreaNotFound
from bot.services.grid import Role
from bot.services.invites import InviteNotAllowed, NewInvite, create_invite, open_invites
from storage import outbox
from storage.areas import Area
from storage.db import Database, DatabaseError
from storage.migrate import migrate
from storage.times import from_db, to_db

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
STATUSES = ("pending", "sent", "failed", "cancelled")


class CommandFailed(Exception):
    """A command could not do what was asked; the message says why (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error told in one line (subcommands' parsers are of this class)."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gridbot", description="gridbot: a Telegram bot for community grid governance."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(p: argparse.ArgumentParser, default: str | None = "config.toml") -> None:
        p.add_argument(
            "--config",
            default=default,
            metavar="FILE",
            help=f"the config file (default: {default or 'built-in defaults'})",
        )

    run = sub.add_parser("run", help="run the bot (long polling, or webhook per config)")
    with_config(run)

    demo = sub.add_parser("demo", help="try the bot offline in the terminal, no token needed")
    demo.add_argument("--db", metavar="PATH", help="keep the demo database here (default: temp)")
    demo.add_argument("--script", metavar="FILE", help="play the lines of FILE and print the chat")
    with_config(demo, default=None)

    init = sub.add_parser("init", help="create the area tree and the first admin's invite")
    init.add_argument("--areas", required=True, metavar="FILE", help="CSV of kind,path lines")
    with_config(init)

    invite = sub.add_parser("invite", help="make a one-time invite for a role and area")
    invite.add_argument("--role", required=True, choices=[r.value for r in Role])
    invite.add_argument("--area", required=True, help="a full path or a unique name")
    invite.add_argument("--qr", metavar="PNG", help="also write the QR code picture here")
    with_config(invite)

    tree = sub.add_parser("areas", help="print the area tree")
    with_config(tree)

    backup = sub.add_parser("backup", help="write a consistent copy of the database")
    backup.add_argument("--to", required=True, metavar="FILE", help="where to write the copy")
    with_config(backup)

    vac = sub.add_parser(
        "vacuum", help="compact the database file (VACUUM) and say how much it freed"
    )
    with_config(vac)

    box = sub.add_parser("outbox", help="show the outbox: counts, and messages that failed")
    box.add_argument(
        "--retry", metavar="ID", help="send a failed message again ('all' for every one)"
    )
    with_config(box)

    people = sub.add_parser(
        "members", help="list members (who is inactive, who blocked the bot); reactivate one"
    )
    people.add_argument("--inactive", action="store_true", help="only inactive members")
    people.add_argument(
        "--unreachable", action="store_true", help="only members who blocked the bot"
    )
    people.add_argument(
        "--reactivate", metavar="ID", type=int, help="make member ID active and reachable again"
    )
    people.add_argument("--deactivate", metavar="ID", type=int, help="make member ID inactive")
    with_config(people)

    check = sub.add_parser("check-config", help="check a config file and say what is wrong")
    with_config(check)
    cli_evaluation.add_parsers(sub, with_config)  # export, import-roster
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command; return the exit status."""
    out = out or sys.stdout
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args, out)
    except ConfigError as error:
        print(f"gridbot: config: {error}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseError as error:
        print(f"gridbot: database: {error}", file=sys.stderr)
        return EXIT_USAGE
    except sqlite3.Error as error:  # locked past the busy timeout, a disk full, ...
        print(f"gridbot: database: {error}", file=sys.stderr)
        return EXIT_USAGE
    except CommandFailed as error:
        print(f"gridbot: {error}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as error:  # a file or folder named on the command line or in the config
        where = f"{error.filename}: " if error.filename else ""
        print(f"gridbot: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_FAILED


def _dispatch(args: argparse.Namespace, out: TextIO) -> int:
    command: str = args.command
    if command == "run":
        config = load_config(args.config, need_token=True)
        _check_database_folder(config)
        _setup_logging(config)
        return _run(config)
    if command == "demo":
        from bot.offline.demo.runner import run_demo

        config = load_config(args.config)
        return run_demo(config, db_path=args.db, script=args.script, out=out)
    config = load_config(args.config)
    if command == "check-config":
        return _check_config(args.config, config, out)
    if command == "init":
        areas_file = Path(args.areas)
        try:
            text = areas_file.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandFailed(f"{areas_file}: cannot be read ({error.strerror})") from None
        return asyncio.run(_init(config, areas_file, text, out))
    if command == "invite":
        qr = Path(args.qr) if args.qr else None
        if qr is not None:
            _check_folder(qr, "the QR code picture")
        return asyncio.run(_invite(config, Role(args.role), args.area, qr, out))
    if command == "areas":
        return asyncio.run(_areas(config, out))
    if command == "outbox":
        return asyncio.run(_outbox(config, args.retry, out))
    if command == "members":
        return asyncio.run(_members(config, args, out))
    if command in cli_evaluation.COMMANDS:
        return cli_evaluation.dispatch(args, config, out)
    if command == "backup":
        target = Path(args.to)
        if target.exists():
            raise CommandFailed(f"{target} exists already; choose a new file")
        _check_folder(target, "the copy")
        return asyncio.run(_backup(config, target, out))
    if command == "vacuum":
        return asyncio.run(_vacuum(config, out))
    raise AssertionError(command)


def _check_folder(target: Path, what: str) -> None:
    """Refuse, before anything is done, a file to write whose folder is not there."""
    folder = target.parent
    if not folder.is_dir():
        raise CommandFailed(f"{folder} is not an existing folder; {what} cannot be written there")


def _check_database_folder(config: Config) -> None:
    """Refuse a ``database.path`` below something that is not a folder, in words."""
    path = config.database.path
    if path == ":memory:":
        return
    for folder in Path(path).parents:
        if folder.exists():
            if not folder.is_dir():
                raise CommandFailed(f"database.path {path}: {folder} is a file, not a folder")
            return


def _check_config(name: str, config: Config, out: TextIO) -> int:
    print(f"{name}: ok", file=out)
    db_path = config.database.path
    state = "exists" if Path(db_path).exists() else "not there yet; 'init' creates it"
    print(f"  database: {db_path} ({state})", file=out)
    if not config.telegram.token:
        print(
            f"  warning: telegram.token is empty: 'run' needs it (in the file or in {TOKEN_ENV})",
            file=out,
        )
    return EXIT_OK


def _setup_logging(config: Config) -> None:
    logging.basicConfig(
        level=config.logging.level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request at INFO; that is noise for operators.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram.ext").addFilter(_drop_bootstrap_failure)


def _drop_bootstrap_failure(record: logging.LogRecord) -> bool:
    """Leave out python-telegram-bot's traceback of a failed start (getMe, setWebhook).

    Such a failure always reaches :func:`_run`, which ends with one line saying what is
    wrong; the hundred lines of traceback before it only hide that line.
    """
    return not (record.exc_info and "(Bootstrap" in record.getMessage())


def _run(config: Config) -> int:
    from telegram.error import InvalidToken, NetworkError

    from bot.main import build_application, run
    from bot.runtime import Runtime

    runtime = Runtime(
        config=config,
        db=Database(config.database.path, config.database.busy_timeout_ms),
        clock=SystemClock(),
    )
    # Both can only come from the start (getMe, setWebhook): once running, python-telegram-bot
    # retries network errors itself. It has logged the details; end with one line.
    try:
        run(build_application(runtime))
    except InvalidToken:
        raise ConfigError("telegram.token", "refused by Telegram (Unauthorized)") from None
    except NetworkError as error:
        raise CommandFailed(f"cannot reach {config.telegram.base_url}: {error}") from None
    return EXIT_OK


async def _open(config: Config, *, create: bool = False) -> Database:
    """The migrated database; unless ``create``, one that must exist already.

    A command that only reads or changes the grid (everything but ``init`` and ``run``)
    must not make a new empty database where the operator expected theirs: it would
    report an empty tree, or back up nothing, and say it succeeded.
    """
    path = config.database.path
    await asyncio.to_thread(_check_database_folder, config)
    if not create and path != ":memory:" and not await asyncio.to_thread(Path(path).exists):
        raise CommandFailed(
            f"there is no database at {path} (database.path; a relative path is taken "
            "from the config file's folder); 'gridbot init --areas FILE' creates it"
        )
    db = await Database(path, config.database.busy_timeout_ms).open()
    try:
        await migrate(db)
    except BaseException:
        await db.close()  # its worker thread would keep the process alive
        raise
    return db


async def _init(config: Config, areas_file: Path, text: str, out: TextIO) -> int:
    try:
        lines = area_service.parse_area_file(text)
    except AreaFileError as error:
        raise CommandFailed(f"{areas_file}: {error}") from None
    db = await _open(config, create=True)
    try:
        try:
            report = await area_service.import_areas(db, lines, SystemClock())
        except AreaFileError as error:
            raise CommandFailed(f"{areas_file}: {error}") from None
        print(f"areas: {report.created} created, {report.existing} already there", file=out)
        root = await area_service.root(db)
        if root is not None:
            await _first_admin_invite(config, db, root, out)
    finally:
        await db.close()
    return EXIT_OK


async def _first_admin_invite(config: Config, db: Database, root: Area, out: TextIO) -> None:
    """The first district admin's invite, unless one joined already or an invite waits."""
    again = f"'gridbot invite --role district_admin --area {root.name}' makes another"
    if await member_service.has_role(db, Role.DISTRICT_ADMIN):
        print(f"A district admin has joined already: no new invite ({again}).", file=out)
        return
    waiting = await open_invites(db, SystemClock(), Role.DISTRICT_ADMIN)
    if waiting:
        expires = _local(config, from_db(waiting[0].expires_at))
        print(
            f"An invite for the first district admin is still unused (it expires {expires}):"
            f" no new invite. If it is lost, {again}.",
            file=out,
        )
        return
    invite = await create_invite(
        db,
        SystemClock(),
        role=Role.DISTRICT_ADMIN,
        area=root,
        by=None,
        ttl_days=config.invites.ttl_days,
    )
    print("\nThe first district admin joins with this one-time invite:", file=out)
    await _print_invite(config, invite, None, out)


def _local(config: Config, moment: datetime) -> str:
    return moment.astimezone(config.tz).strftime("%Y-%m-%d %H:%M %Z")


async def _invite(config: Config, role: Role, area_text: str, qr: Path | None, out: TextIO) -> int:
    db = await _open(config)
    try:
        try:
            area = await area_service.resolve(db, area_text)
        except (AreaAmbiguous, AreaNotFound) as error:
            raise CommandFailed(_area_problem(error)) from None
        username = await _bot_username(config)
        if qr is not None and username is None:
            # Asked before the invite is made, so that no code is wasted.
            asked = " (Telegram could not be asked with the token)" if config.telegram.token else ""
            raise CommandFailed(
                "--qr needs the bot's username for the link in the code: set telegram.username"
                f" in the config{asked}; nothing was written and no invite was made"
            )
        try:
            invite = await create_invite(
                db, SystemClock(), role=role, area=area, by=None, ttl_days=config.invites.ttl_days
            )
        except InviteNotAllowed as error:
            raise CommandFailed(str(error)) from None
        await _print_invite(config, invite, qr, out, username=username)
    finally:
        await db.close()
    return EXIT_OK


def _area_problem(error: AreaAmbiguous | AreaNotFound) -> str:
    what = "is ambiguous" if isinstance(error, AreaAmbiguous) else "is not an area"
    if not error.candidates:
        return f"{error.text!r} {what}"
    listed = ", ".join(area.path for area in error.candidates)
    return f"{error.text!r} {what}; did you mean: {listed}"


async def _bot_username(config: Config) -> str | None:
    if config.telegram.username:
        return config.telegram.username
    if not config.telegram.token:
        return None
    from telegram import Bot
    from telegram.error import TelegramError

    try:
        async with Bot(config.telegram.token, base_url=config.telegram.base_url) as bot:
            return bot.username
    except TelegramError:
        return None


async def _print_invite(
    config: Config,
    invite: NewInvite,
    qr: str | Path | None,
    out: TextIO,
    *,
    username: str | None = None,
) -> None:
    """Print an invite: code, /start line, link and QR code (and write the QR picture)."""
    username = username or await _bot_username(config)
    expires = _local(config, invite.expires_at)
    print(f"  role:     {invite.role.value}", file=out)
    print(f"  area:     {invite.area.path}", file=out)
    print(f"  expires:  {expires}", file=out)
    print(f"  code:     {invite.code}", file=out)
    print(f"  command:  /start {invite.code}", file=out)
    if username is None:
        print("  link:     set telegram.username in the config to print the link", file=out)
        if qr:
            print(f"  QR code picture not written to {qr}: it needs the link", file=out)
        return
    link = deep_link(username, invite.code)
    print(f"  link:     {link}", file=out)
    print(qr_text(link), file=out)
    if qr:
        png = await asyncio.to_thread(qr_png, link)  # drawn off the event loop
        await asyncio.to_thread(Path(qr).write_bytes, png)
        print(f"  QR code picture written to {qr}", file=out)


async def _areas(config: Config, out: TextIO) -> int:
    db = await _open(config)
    try:
        areas = await area_service.tree(db)
        if not areas:
            print("no areas yet: 'gridbot init --areas FILE' creates the tree", file=out)
        for area in areas:
            print(f"{'  ' * area.depth}{area.name}  ({area.kind})", file=out)
    finally:
        await db.close()
    return EXIT_OK


async def _outbox(config: Config, retry: str | None, out: TextIO) -> int:
    db = await _open(config)
    try:
        if retry is not None:
            if retry != "all" and not retry.isdigit():
                raise CommandFailed(f"--retry takes a message id or 'all', not {retry!r}")
            row_id = None if retry == "all" else int(retry)
            now = to_db(SystemClock().now())
            count = await db.run_transaction(lambda tx: outbox.requeue_failed(tx, now, row_id))
            if row_id is not None and not count:
                row = await outbox.get(db, row_id)
                if row is None:
                    raise CommandFailed(f"there is no message #{row_id} in the outbox")
                raise CommandFailed(
                    f"message #{row_id} is {row.status}, not failed; only failed messages"
                    " are queued again ('gridbot outbox' lists them)"
                )
            if not count:
                print("no failed messages: nothing to queue again", file=out)
                return EXIT_OK
            print(f"{count} message(s) queued again; the running bot sends them", file=out)
            return EXIT_OK
        totals = await outbox.counts(db)
        held = await outbox.held_count(db)
        print(
            "outbox: "
            + ", ".join(f"{totals.get(s, 0)} {s}" for s in STATUSES)
            + (f" ({held} of the pending held for members who blocked the bot)" if held else ""),
            file=out,
        )
        for row in await outbox.failed(db):
            print(
                f"  #{row.id} {row.kind} to {row.channel}:{row.recipient}"
                f" after {row.attempts} tries, created {row.created_at}: {row.last_error}",
                file=out,
            )
    finally:
        await db.close()
    return EXIT_OK


async def _members(config: Config, args: argparse.Namespace, out: TextIO) -> int:
    db = await _open(config)
    try:
        if args.reactivate is not None or args.deactivate is not None:
            if args.reactivate is not None:
                member = await member_service.reactivate(db, SystemClock(), args.reactivate)
            else:
                member = await member_service.deactivate(db, args.deactivate)
            if member is None:
                raise CommandFailed(f"no member #{args.reactivate or args.deactivate}")
            state = "active" if member.active else "inactive"
            print(f"member #{member.id} {member.name} ({member.work_id}) is {state}", file=out)
            return EXIT_OK
        found = await member_service.listing(
            db, inactive=args.inactive, unreachable=args.unreachable
        )
        for member in found:
            flags = [] if member.active else ["inactive"]
            if not member.reachable:
                flags.append(f"blocked the bot since {member.unreachable_since}")
            print(
                f"#{member.id} {member.work_id} {member.name} {member.role} {member.area_path}"
                + (f"  [{'; '.join(flags)}]" if flags else ""),
                file=out,
            )
        held = await outbox.held_count(db)
        print(
            f"{len(found)} member(s); {held} message(s) held for members who blocked the bot",
            file=out,
        )
    finally:
        await db.close()
    return EXIT_OK


async def _backup(config: Config, target: Path, out: TextIO) -> int:
    db = await _open(config)
    try:
        await db.backup_to(target)
    except (OSError, sqlite3.Error) as error:
        await asyncio.to_thread(target.unlink, missing_ok=True)  # a partial copy is no backup
        raise CommandFailed(f"{target}: the copy could not be written ({error})") from None
    finally:
        await db.close()
    print(f"backup written to {target}", file=out)
    return EXIT_OK


async def _vacuum(config: Config, out: TextIO) -> int:
    db = await _open(config)
    try:
        before, after = await upkeep.vacuum(db)
    except sqlite3.Error as error:  # locked by the running bot past the timeout, disk full
        raise CommandFailed(f"vacuum failed, nothing was changed ({error})") from None
    finally:
        await db.close()
    freed = before.bytes - after.bytes
    print(
        f"vacuumed {config.database.path}: {_megabytes(before.bytes)} -> "
        f"{_megabytes(after.bytes)}, {_megabytes(freed)} freed",
        file=out,
    )
    return EXIT_OK


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"
