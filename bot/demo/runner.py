"""``python -m bot demo``: try gridbot in the terminal, with no token and no network.

The real bot runs on the offline Bot API stand-in, over a database seeded with the
demo district and a few people. You play them in turn: a building leader, a
community admin, a street admin, and a newcomer with an invite. Buttons show as
numbered choices; type the number to press one. ``--script FILE`` plays the lines
of a file and prints the conversation, so the demo can be run by a test.

What you can type (also shown by ``:help``)::

    some text          send it as a message (``=12`` sends "12" even when buttons show)
    3                  press button 3
    [受理]             press the button with this label
    :as admin          act as another person (leader, admin, street, new)
    :photo [caption]   send a photo      :album 3    send an album of 3 photos
    :voice [seconds]   send a voice message
    :location LAT LON  share a location  :contact    share your own phone number
    :sticker           send a sticker
    :wait 2h           let time pass (m, h, d) and run what falls due
    :restart           restart the bot, keeping its database
    :down 20m          stop the bot, let time pass, start it again
    :clock 2030-01-07 09:00   move the clock forward to this local time
    :who               list the people      :quit       leave
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.clock import FakeClock
from bot.config import Config
from bot.offline import OfflineBot
from bot.services import areas as area_service
from bot.services import members as member_service
from bot.services.grid import Role
from bot.services.invites import create_invite
from bot.standin import StoredMessage, UserClient

WAIT_STEP = timedelta(minutes=10)  # :wait runs the sweeps at least this often

HELP = __doc__.split("What you can type (also shown by ``:help``)::", 1)[1]


@dataclass(frozen=True)
class Persona:
    """Someone to play in the demo."""

    key: str
    user_id: int
    name: str
    role: Role | None  # None: not a member yet (joins with an invite)
    area: str


PERSONAS: tuple[Persona, ...] = (
    Persona("leader", 20001, "张思凯", Role.BUILDING_LEADER, "滨河龙韵西区1号楼"),
    Persona("admin", 20002, "李敏", Role.COMMUNITY_ADMIN, "滨河社区"),
    Persona("street", 20003, "王强", Role.STREET_ADMIN, "光明街道"),
    Persona("new", 20004, "刘芳", None, "滨河龙韵西区1号楼"),
    Persona("town", 20005, "陈国华", Role.STREET_ADMIN, "南陈屯镇"),
    Persona("group", 20006, "刘建国", Role.GROUP_LEADER, "刘舒庄村/第一村民小组"),
)

# The other village group leaders and assistants of 刘舒庄村, not played: a notice to the
# village reaches them too, and the admin sees who of them has not confirmed.
VILLAGERS: tuple[Persona, ...] = (
    Persona("v1a", 20101, "刘秀英", Role.GROUP_ASSISTANT, "刘舒庄村/第一村民小组"),
    Persona("v2", 20102, "张德明", Role.GROUP_LEADER, "刘舒庄村/第二村民小组"),
    Persona("v2a", 20103, "李桂兰", Role.GROUP_ASSISTANT, "刘舒庄村/第二村民小组"),
    Persona("v3", 20104, "王志强", Role.GROUP_LEADER, "刘舒庄村/第三村民小组"),
    Persona("v3a", 20105, "赵淑芬", Role.GROUP_ASSISTANT, "刘舒庄村/第三村民小组"),
)


@dataclass
class Choice:
    """A numbered button on screen: an inline button of a message, or a keyboard label."""

    label: str
    message_id: int | None = None
    data: str | None = None


@dataclass
class Screen:
    """What the demo has printed, so that only what is new is printed next."""

    printed: dict[tuple[int, int], int] = field(default_factory=dict)
    choices: list[Choice] = field(default_factory=list)


class Demo:
    """The running demo: the offline bot, the people, and the terminal."""

    def __init__(self, config: Config, out: TextIO) -> None:
        self.out = out
        self.bot = OfflineBot(config, clock=FakeClock(datetime.now(UTC).replace(microsecond=0)))
        self.clients: dict[str, UserClient] = {}
        self.current = PERSONAS[0]
        self.screen = Screen()
        self.invite_code = ""  # the newcomer's; scripts write it as {invite}

    def say(self, text: str = "") -> None:
        """Print a line of the demo's own."""
        print(text, file=self.out)

    async def start(self) -> None:
        """Start the bot and seed the district and people if the database is new."""
        await self.bot.start()
        if await area_service.root(self.bot.db) is None:
            await self.bot.import_areas()
        for persona in PERSONAS:
            self.clients[persona.key] = self.bot.user(persona.name, user_id=persona.user_id)
            if (
                persona.role is not None
                and await member_service.current(self.bot.db, persona.user_id) is None
            ):
                await self.bot.member(
                    persona.name, persona.role, persona.area, user_id=persona.user_id
                )
        for villager in VILLAGERS:
            if await member_service.current(self.bot.db, villager.user_id) is None:
                assert villager.role is not None
                await self.bot.member(
                    villager.name, villager.role, villager.area, user_id=villager.user_id
                )
        await self._print_invite_for_newcomer()

    async def _print_invite_for_newcomer(self) -> None:
        newcomer = next(p for p in PERSONAS if p.role is None)
        if await member_service.current(self.bot.db, newcomer.user_id) is not None:
            return
        area = await area_service.resolve(self.bot.db, newcomer.area)
        invite = await create_invite(
            self.bot.db,
            self.bot.clock,
            role=Role.BUILDING_ASSISTANT,
            area=area,
            by=None,
            ttl_days=self.bot.config.invites.ttl_days,
        )
        self.invite_code = invite.code
        self.say(
            f"{newcomer.name} ({newcomer.key}) has an invite as building assistant of "
            f"{area.path}.\nTo join: ':as new', then '/start {invite.code}'.\n"
        )

    def intro(self) -> None:
        """Who is who, and how to play."""
        self.say("gridbot demo — offline; nothing leaves this machine.")
        self.say("People you can play (':as KEY'):")
        for persona in PERSONAS:
            what = persona.role.value if persona.role else "not joined yet"
            self.say(f"  {persona.key:<7} {persona.name}  {what}, {persona.area}")
        self.say("Type ':help' for what you can type. You are now the leader; try /help.\n")

    @property
    def client(self) -> UserClient:
        """The person being played."""
        return self.clients[self.current.key]

    async def handle(self, line: str) -> bool:
        """Act on one line of input; False when the demo should end."""
        line = line.strip().replace("{invite}", self.invite_code)
        if not line or line.startswith("#"):
            return True
        if line.startswith(":"):
            return await self._meta(line[1:].split())
        client = self.client
        if line.startswith("="):
            await client.send(line[1:] or "=")
        elif line.isdigit() and self.screen.choices:
            await self._press_number(int(line))
        elif re.fullmatch(r"\[.+\]", line):
            await client.press(line[1:-1])
        else:
            await client.send(line)
        self.show()
        return True

    async def _press_number(self, number: int) -> None:
        if not 1 <= number <= len(self.screen.choices):
            self.say(f"(there is no button {number}; the buttons are 1-{len(self.screen.choices)})")
            return
        choice = self.screen.choices[number - 1]
        if choice.data is not None:
            await self.client.press_data(choice.data, choice.message_id)
        else:
            await self.client.press(choice.label)

    async def _meta(self, words: list[str]) -> bool:
        if not words:
            return True
        command, args = words[0].lower(), words[1:]
        client = self.client
        if command in ("quit", "exit", "q"):
            return False
        if command == "help":
            self.say(HELP)
        elif command == "who":
            for persona in PERSONAS:
                mark = "*" if persona is self.current else " "
                self.say(f" {mark} {persona.key:<7} {persona.name}")
        elif command == "as":
            chosen = next((p for p in PERSONAS if args and args[0] in (p.key, p.name)), None)
            if chosen is None:
                self.say("(who? " + ", ".join(p.key for p in PERSONAS) + ")")
            else:
                self.current = chosen
                self.say(f"— you are now {chosen.name} ({chosen.key}) —")
                self.show(replay=True)
        elif command == "photo":
            await client.send_photo(caption=" ".join(args) or None)
        elif command == "album":
            await client.send_album(int(args[0]) if args else 2)
        elif command == "voice":
            await client.send_voice(int(args[0]) if args else 5)
        elif command == "location" and len(args) == 2:
            await client.send_location(float(args[0]), float(args[1]))
        elif command == "contact":
            await client.share_contact()
        elif command == "sticker":
            await client.send_sticker()
        elif command == "wait" and args:
            await self._wait(args[0])
        elif command == "down" and args:
            await self._down(args[0])
        elif command == "clock" and len(args) == 2:
            await self._set_clock(" ".join(args))
        elif command == "restart":
            await self.bot.restart()
            self.say("— the bot restarted; its database is kept —")
        else:
            self.say(f"(unknown: :{command}; type :help)")
        self.show()
        return True

    async def _wait(self, amount: str) -> None:
        span = _span(amount)
        if span is None:
            self.say("(say how long: 30m, 2h or 1d)")
            return
        clock = self.bot.clock
        assert isinstance(clock, FakeClock)
        # Time passes in steps, running what falls due at each, as the running bot would.
        end = clock.now() + span
        while clock.now() < end:
            clock.set(min(end, clock.now() + WAIT_STEP))
            await self.bot.run_due_jobs()
        self.say(f"— {amount} later —")

    async def _down(self, amount: str) -> None:
        span = _span(amount)
        if span is None:
            self.say("(say how long: 30m, 2h or 1d)")
            return
        clock = self.bot.clock
        assert isinstance(clock, FakeClock)
        await self.bot.stop()
        clock.advance(span)
        await self.bot.start()
        await self.bot.run_due_jobs()
        self.say(f"— the bot was down for {amount} and is back; its database is kept —")

    async def _set_clock(self, text: str) -> None:
        clock = self.bot.clock
        assert isinstance(clock, FakeClock)
        try:
            local = datetime.strptime(text, "%Y-%m-%d %H:%M")
            clock.set(local.replace(tzinfo=self.bot.config.tz))
        except ValueError:
            self.say("(give a later local time: 2030-01-07 09:00)")
            return
        await self.bot.run_due_jobs()
        self.say(f"— it is now {text} —")

    def show(self, *, replay: bool = False) -> None:
        """Print what the bot sent since the last look; number the current person's buttons."""
        for persona in PERSONAS:
            client = self.clients[persona.key]
            for message in client.messages:
                key = (message.chat_id, message.message_id)
                seen = self.screen.printed.get(key)
                if seen == message.seq:
                    continue
                self.screen.printed[key] = message.seq
                prefix = "" if persona is self.current else f"📨 to {persona.name}: "
                if seen is not None:
                    prefix += "✎ "
                self.say(prefix + _describe(message))
        self._number_choices(replay)

    def _number_choices(self, replay: bool) -> None:
        client = self.client
        choices: list[Choice] = []
        newest = next((m for m in reversed(client.messages) if m.inline_keyboard), None)
        if newest is not None:
            if replay:
                self.say(_describe(newest))
            for buttons in newest.inline_keyboard:
                for button in buttons:
                    choices.append(
                        Choice(
                            str(button.get("text")), newest.message_id, button.get("callback_data")
                        )
                    )
        for labels in client.reply_keyboard or []:
            choices.extend(Choice(label) for label in labels)
        self.screen.choices = choices
        if choices:
            self.say("   " + "  ".join(f"[{i}] {c.label}" for i, c in enumerate(choices, start=1)))

    async def stop(self) -> None:
        """Stop the bot."""
        await self.bot.stop()


def _describe(message: StoredMessage) -> str:
    kind = message.kind
    text = message.text
    if kind == "photo":
        return f"[photo] {text}".rstrip()
    if kind == "document":
        name = message.data.get("document", {}).get("file_name", "")
        return f"[file {name}] {text}".rstrip()
    if kind == "voice":
        return f"[voice {message.data.get('voice', {}).get('duration', '?')}s] {text}".rstrip()
    if kind == "location":
        location = message.data.get("location", {})
        return f"[location {location.get('latitude')}, {location.get('longitude')}]"
    return text


async def _play(demo: Demo, lines: list[str] | None, stdin: TextIO) -> None:
    await demo.start()
    demo.intro()
    try:
        if lines is not None:
            for line in lines:
                shown = line.strip().replace("{invite}", demo.invite_code)
                if shown and not shown.startswith("#"):
                    demo.say(f"{demo.current.name}> {shown}")
                if not await demo.handle(line):
                    break
            return
        while True:
            print(f"{demo.current.name}> ", end="", file=demo.out, flush=True)
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            if not await demo.handle(line):
                break
    finally:
        await demo.stop()


def run_demo(
    config: Config,
    *,
    db_path: str | None,
    script: str | None,
    out: TextIO,
    stdin: TextIO | None = None,
) -> int:
    """Run the demo; with ``script``, play its lines instead of reading the terminal."""
    lines = Path(script).read_text(encoding="utf-8").splitlines() if script else None
    with tempfile.TemporaryDirectory(prefix="gridbot-demo-") as folder:
        path = db_path or str(Path(folder) / "demo.sqlite3")
        demo = Demo(config.replace(**{"database.path": path}), out)
        asyncio.run(_play(demo, lines, stdin or sys.stdin))
    return 0


def _span(amount: str) -> timedelta | None:
    match = re.fullmatch(r"(\d+)([mhd])", amount)
    if match is None:
        return None
    unit = {"m": "minutes", "h": "hours", "d": "days"}[match[2]]
    return timedelta(**{unit: int(match[1])})
