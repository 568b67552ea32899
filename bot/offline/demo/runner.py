"""``python -m bot demo``: try gridbot in the terminal, with no token and no network.

The real bot runs on the offline Bot API stand-in, over a database seeded with the
demo district and a few people. You play them in turn: a building leader and a
village-group leader, the admins of a community, a village, a street, a town and
the district, and a newcomer with an invite. Buttons show as numbered choices; type
the number to press one. ``--script FILE`` plays the lines of a file and prints the
conversation, so the demo can be run by a test.

What you can type (also shown by ``:help``)::

    some text          send it as a message (``=12`` sends "12" even when buttons show)
    3                  press button 3 (numbers belong to the message named before them:
                       the newest one with buttons, and the keyboard)
    [受理]             press the button with this label
    :buttons [N]       list the messages with buttons; number the buttons of message #N
    :as admin          act as another person (:who lists them)
    :photo [caption]   send a photo      :album 3    send an album of 3 photos
    :voice [seconds]   send a voice message
    :location LAT LON  share a location  :contact    share your own phone number
    :sticker           send a sticker
    :wait 2h           let time pass (m, h, d) and run what falls due
    :restart           restart the bot, keeping its database
    :down 20m          stop the bot, let time pass, start it again
    :clock 2030-01-07 09:00   move the clock forward to this local time
    :who               list the people      :quit       leave

What the bot answers to a button press shows as "💬 toast: ..." (the short note at
the top of the chat) or "⚠️ alert: ..." (a box one has to close).
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
from bot.offline.harness import OfflineBot
from bot.offline.standin import StoredMessage, UserClient
from bot.services import areas as area_service
from bot.services import members as member_service
from bot.services.grid import Role
from bot.services.invites import create_invite

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
    # The rural side of the grid, for the checkpoint story (a case supervised up to the
    # district) and the notice from the town to its village-group leaders.
    Persona("village", 20005, "刘秀英", Role.COMMUNITY_ADMIN, "南陈屯镇/刘舒庄村"),
    Persona("town", 20006, "赵建国", Role.STREET_ADMIN, "南陈屯镇"),
    Persona("district", 20007, "孙立新", Role.DISTRICT_ADMIN, "运河区"),
    Persona("group", 20008, "刘长河", Role.GROUP_LEADER, "刘舒庄村/第一村民小组"),
)

# The other village group leaders and assistants of 刘舒庄村, not played: a notice to the
# village reaches them too, and the admin sees who of them has not confirmed.
VILLAGERS: tuple[Persona, ...] = (
    Persona("v1a", 20101, "刘桂芝", Role.GROUP_ASSISTANT, "刘舒庄村/第一村民小组"),
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
    # The message whose buttons are numbered when one picked it (:buttons N); else the
    # newest message with buttons.
    picked: int | None = None


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
        await self.bot.continue_message_ids()  # a kept database: go on after its messages
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
        self._list_people()
        self.say("Type ':help' for what you can type. You are now the leader; try /help.\n")

    def _list_people(self) -> None:
        for persona in PERSONAS:
            mark = "*" if persona is self.current else " "
            what = persona.role.value if persona.role else "not joined yet"
            self.say(f" {mark} {persona.key:<8} {persona.name}  {what}, {persona.area}")

    def help(self) -> None:
        """What one can type, and whom one can play."""
        self.say(HELP)
        self.say("People (':as KEY'): " + ", ".join(f"{p.key} {p.name}" for p in PERSONAS))

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
            await self._press_label(line[1:-1])
        else:
            await client.send(line)
        self.screen.picked = None
        self.show()
        return True

    async def _press_number(self, number: int) -> None:
        if not 1 <= number <= len(self.screen.choices):
            self.say(f"(there is no button {number}; the buttons are 1-{len(self.screen.choices)})")
            return
        await self._press(self.screen.choices[number - 1])

    async def _press(self, choice: Choice) -> None:
        """Press an inline button or a keyboard button; print how the bot answered a press."""
        client = self.client
        if choice.message_id is None:
            await client.press(choice.label)  # the stand-in shares a contact or location
            return
        if choice.data is None:
            self.say(f"(the button {choice.label} opens a link; it sends the bot nothing)")
            return
        await client.press_data(choice.data, choice.message_id)
        answer = client.last_answer
        if answer is not None and answer.text:
            # Telegram shows these over the chat, not in it; they are often the only sign
            # that a press was refused.
            self.say(f"{'⚠️ alert' if answer.show_alert else '💬 toast'}: {answer.text}")

    async def _press_label(self, label: str) -> None:
        """Press the button labelled ``label``: exact first, then a unique part of a label.

        The numbered message is looked at first, then the others newest first, then the
        keyboard; no match is answered with the buttons there are.
        """
        candidates = self._all_choices()
        for exact in (True, False):
            for group in candidates:
                hits = [c for c in group if (c.label == label if exact else label in c.label)]
                if len(hits) > 1 and not exact:
                    self.say(f"([{label}] fits several buttons: {_labels(hits)}; say which)")
                    return
                if hits:
                    await self._press(hits[0])
                    return
        if self.screen.choices:
            self.say(
                f"(there is no button [{label}]; the buttons are: {_labels(self.screen.choices)})"
            )
        else:
            self.say(f"(there is no button [{label}]: no buttons are showing)")

    def _all_choices(self) -> list[list[Choice]]:
        """Every button the current person can press, grouped by message, numbered ones first."""
        numbered = [c for c in self.screen.choices if c.message_id is not None]
        groups = [numbered] if numbered else []
        for message in reversed(self.client.messages):
            if message.inline_keyboard and (
                not numbered or message.message_id != numbered[0].message_id
            ):
                groups.append(_inline_choices(message))
        groups.append([Choice(label) for row in self.client.reply_keyboard or [] for label in row])
        return groups

    async def _meta(self, words: list[str]) -> bool:
        if not words:
            return True
        command, args = words[0].lower(), words[1:]
        client = self.client
        if command != "buttons":
            self.screen.picked = None  # whatever happens next, the newest buttons count
        if command in ("quit", "exit", "q"):
            return False
        if command == "help":
            self.help()
        elif command == "buttons":
            self._pick(args)
            return True
        elif command == "who":
            self._list_people()
        elif command == "as":
            chosen = next((p for p in PERSONAS if args and args[0] in (p.key, p.name)), None)
            if chosen is None:
                self.say("(who? " + ", ".join(p.key for p in PERSONAS) + ")")
            else:
                self.current = chosen
                self.say(f"— you are now {chosen.name} ({chosen.key}) —")
                self.show(replay=True)
                return True
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

    def _pick(self, args: list[str]) -> None:
        """``:buttons``: list the messages with buttons; ``:buttons N``: number message N's."""
        with_buttons = [m for m in self.client.messages if m.inline_keyboard]
        if args and args[0].lstrip("#").isdigit():
            wanted = int(args[0].lstrip("#"))
            if any(m.message_id == wanted for m in with_buttons):
                self.screen.picked = wanted
                self._number_choices(replay=False)
                return
            self.say(f"(message #{wanted} has no buttons; ':buttons' lists those that have)")
            return
        if not with_buttons:
            self.say("(no message here has buttons)")
            return
        for message in with_buttons[-10:]:
            self.say(
                f"  #{message.message_id} {_excerpt(message)}: {_labels(_inline_choices(message))}"
            )
        self.say("(':buttons N' numbers the buttons of message #N)")

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
        """Number the buttons of one message (the picked one, else the newest with buttons)
        and of the keyboard, and print them saying which message they belong to."""
        client = self.client
        with_buttons = [m for m in client.messages if m.inline_keyboard]
        shown = next((m for m in with_buttons if m.message_id == self.screen.picked), None)
        if shown is None:
            shown = with_buttons[-1] if with_buttons else None
        choices = _inline_choices(shown) if shown is not None else []
        keyboard = [Choice(label) for row in client.reply_keyboard or [] for label in row]
        self.screen.choices = choices + keyboard
        if shown is not None:
            if replay:
                self.say(_describe(shown))
            numbers = "  ".join(f"[{i}] {c.label}" for i, c in enumerate(choices, start=1))
            after = sum(1 for m in client.messages if m.message_id > shown.message_id)
            where = "newest" if not after else f"older: {after} message(s) came after it"
            self.say(f"   buttons of #{shown.message_id} ({where}): {numbers}")
        if keyboard:
            first = len(choices) + 1
            numbers = "  ".join(f"[{i}] {c.label}" for i, c in enumerate(keyboard, start=first))
            self.say(f"   keyboard: {numbers}")

    async def stop(self) -> None:
        """Stop the bot."""
        await self.bot.stop()


def _inline_choices(message: StoredMessage) -> list[Choice]:
    return [
        Choice(str(button.get("text")), message.message_id, button.get("callback_data"))
        for row in message.inline_keyboard
        for button in row
    ]


def _labels(choices: list[Choice]) -> str:
    return ", ".join(f"[{c.label}]" for c in choices)


def _excerpt(message: StoredMessage, width: int = 24) -> str:
    """The start of a message's first line, to say which message buttons belong to."""
    first = (_describe(message).strip().splitlines() or [""])[0]
    return first if len(first) <= width else first[: width - 1] + "…"


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
