"""The command line: ``python -m bot <command>`` (also installed as ``gridbot``).

Commands for operators: run the bot, try it in the offline demo, create the area
tree with the first admin's invite, make invites, list the tree, back up the
database, check a config file. A bad config ends with one line naming the key and
exit status 2; a database that cannot be used ends with one line and status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot import cli_evaluation
from bot.clock import SystemClock
from bot.config import Config, ConfigError, load_config
from bot.qr import deep_link, qr_png, qr_text
from bot.services import areas as area_service
from bot.services import members as member_service
from bot.services.areas import AreaAmbiguous, AreaFileError, AreaNotFound
from bot.services.grid import Role
from bot.services.invites import InviteNotAllowed, NewInvite, create_invite
from storage import outbox
from storage.db import Database, DatabaseError
from storage.migrate import migrate
from storage.times import to_db

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
STATUSES = ("pending", "sent", "failed", "cancelled")


class CommandFailed(Exception):
    """A command could not do what was asked; the message says why."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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

    box = sub.add_parser("outbox", help="show the outbox: counts, and messages that failed")
    box.add_argument(
        "--retry", metavar="ID", help="send a failed message again ('all' for every one)"
    )
    with_config(box)

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
        return EXIT_FAILED
    except CommandFailed as error:
        print(f"gridbot: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_FAILED


def _dispatch(args: argparse.Namespace, out: TextIO) -> int:
    command: str = args.command
    if command == "run":
        config = load_config(args.config, need_token=True)
        _setup_logging(config)
        return _run(config)
    if command == "demo":
        from bot.demo.runner import run_demo

        config = load_config(args.config)
        return run_demo(config, db_path=args.db, script=args.script, out=out)
    config = load_config(args.config)
    if command == "check-config":
        print(f"{args.config}: ok", file=out)
        return EXIT_OK
    if command == "init":
        areas_file = Path(args.areas)
        try:
            text = areas_file.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandFailed(f"{areas_file}: cannot be read ({error.strerror})") from None
        return asyncio.run(_init(config, areas_file, text, out))
    if command == "invite":
        return asyncio.run(_invite(config, Role(args.role), args.area, args.qr, out))
    if command == "areas":
        return asyncio.run(_areas(config, out))
    if command == "outbox":
        return asyncio.run(_outbox(config, args.retry, out))
    if command in cli_evaluation.COMMANDS:
        return cli_evaluation.dispatch(args, config, out)
    if command == "backup":
        target = Path(args.to)
        if target.exists():
            raise CommandFailed(f"{target} exists already; choose a new file")
        return asyncio.run(_backup(config, target, out))
    raise AssertionError(command)


def _setup_logging(config: Config) -> None:
    logging.basicConfig(
        level=config.logging.level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request at INFO; that is noise for operators.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _run(config: Config) -> int:
    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_application, run
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


async def _open(config: Config) -> Database:
    db = await Database(config.database.path, config.database.busy_timeout_ms).open()
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
    db = await _open(config)
    try:
        try:
            report = await area_service.import_areas(db, lines, SystemClock())
        except AreaFileError as error:
            raise CommandFailed(f"{areas_file}: {error}") from None
        print(f"areas: {report.created} created, {report.existing} already there", file=out)
        root = await area_service.root(db)
        if root is not None and not await member_service.has_role(db, Role.DISTRICT_ADMIN):
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
    finally:
        await db.close()
    return EXIT_OK


async def _invite(config: Config, role: Role, area_text: str, qr: str | None, out: TextIO) -> int:
    db = await _open(config)
    try:
        try:
            area = await area_service.resolve(db, area_text)
        except (AreaAmbiguous, AreaNotFound) as error:
            raise CommandFailed(_area_problem(error)) from None
        try:
            invite = await create_invite(
                db, SystemClock(), role=role, area=area, by=None, ttl_days=config.invites.ttl_days
            )
        except InviteNotAllowed as error:
            raise CommandFailed(str(error)) from None
        await _print_invite(config, invite, qr, out)
    finally:
        await db.close()
    return EXIT_OK


def _area_problem(error: AreaAmbiguous | AreaNotFound) -> str:
    what = "is ambiguous" if isinstance(error, AreaAmbiguous) else "is not an area"
    if not error.candidates:
        return f"{error.text!r} {what}"
    listed = "\n  ".join(area.path for area in error.candidates)
    return f"{error.text!r} {what}; did you mean:\n  {listed}"


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


async def _print_invite(config: Config, invite: NewInvite, qr: str | None, out: TextIO) -> None:
    expires = invite.expires_at.astimezone(config.tz).strftime("%Y-%m-%d %H:%M %Z")
    print(f"  role:     {invite.role.value}", file=out)
    print(f"  area:     {invite.area.path}", file=out)
    print(f"  expires:  {expires}", file=out)
    print(f"  code:     {invite.code}", file=out)
    print(f"  command:  /start {invite.code}", file=out)
    username = await _bot_username(config)
    if username is None:
        print("  link:     set telegram.username in the config to print the link", file=out)
        return
    link = deep_link(username, invite.code)
    print(f"  link:     {link}", file=out)
    print(qr_text(link), file=out)
    if qr:
        await asyncio.to_thread(Path(qr).write_bytes, qr_png(link))
        print(f"  QR code picture written to {qr}", file=out)


async def _areas(config: Config, out: TextIO) -> int:
    db = await _open(config)
    try:
        for area in await area_service.tree(db):
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
            async with db.transaction() as tx:
                count = await outbox.requeue_failed(
                    tx, to_db(SystemClock().now()), None if retry == "all" else int(retry)
                )
            print(f"{count} message(s) queued again; the running bot sends them", file=out)
            return EXIT_OK
        totals = await outbox.counts(db)
        print(
            "outbox: " + ", ".join(f"{totals.get(s, 0)} {s}" for s in STATUSES),
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


async def _backup(config: Config, target: Path, out: TextIO) -> int:
    db = await _open(config)
    try:
        await db.backup_to(target)
    finally:
        await db.close()
    print(f"backup written to {target}", file=out)
    return EXIT_OK
