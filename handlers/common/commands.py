"""The bot's commands as Telegram lists them: for everyone, and per member's role.

Telegram shows the commands registered for the narrowest scope that applies, so
people who have not joined see /start, /help and /lang, and each member sees, in
their chat, the commands of their role in their language.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from bot.services.grid import is_admin, is_leader
from bot.services.members import Member
from handlers.common import text_keys as keys


@dataclass(frozen=True)
class Command:
    """A command and who sees it in their list."""

    name: str
    everyone: bool = False
    leaders: bool = False
    admins: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("start", everyone=True),
    Command("report", leaders=True),
    Command("mycases", leaders=True),
    Command("cases", admins=True),
    Command("meetings", leaders=True, admins=True),
    Command("shifts", leaders=True, admins=True),
    Command("invite", admins=True),
    Command("notice", admins=True),
    Command("stats", admins=True),
    Command("export", admins=True),
    Command("help", everyone=True),
    Command("lang", everyone=True),
    Command("cancel", leaders=True, admins=True),
    Command("todo", leaders=True, admins=True),  # 我的待办: anyone may be an assignee
)


def commands_for(member: Member | None) -> list[str]:
    """The command names shown to ``member`` (None: someone who has not joined)."""
    if member is None:
        return [c.name for c in COMMANDS if c.everyone]
    return [
        c.name
        for c in COMMANDS
        if c.everyone
        or (c.leaders and is_leader(member.role))
        or (c.admins and is_admin(member.role))
    ]


def _bot_commands(names: list[str], language: str) -> list[BotCommand]:
    return [BotCommand(name, t(language, keys.COMMAND(name))) for name in names]


async def register_default_commands(bot: Bot) -> None:
    """The commands for people who have not joined, in Chinese and in English."""
    names = commands_for(None)
    await bot.set_my_commands(
        _bot_commands(names, DEFAULT_LANGUAGE), scope=BotCommandScopeDefault()
    )
    for language in LANGUAGES:
        if language != DEFAULT_LANGUAGE:
            await bot.set_my_commands(
                _bot_commands(names, language),
                scope=BotCommandScopeDefault(),
                language_code=language.split("-")[0],
            )


async def register_member_commands(bot: Bot, member: Member) -> None:
    """The commands of ``member``'s role, in their language, in their private chat."""
    await bot.set_my_commands(
        _bot_commands(commands_for(member), member.language),
        scope=BotCommandScopeChat(member.tg_user_id),
    )
