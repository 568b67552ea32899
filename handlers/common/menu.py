"""The member's menu: a keyboard of big buttons, so nobody has to remember commands.

Each feature owns its entry: it registers a handler with :func:`label_filter` for
its item, so pressing the button does what the command does. Labels come from the
catalogues; a button pressed in either language is understood.

📌 我的待办 is shown only to someone with cases assigned to them when the menu is drawn
(:func:`member_menu`); /todo works for everyone, and a press after the last assigned
case was done answers kindly and redraws the menu without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from telegram import KeyboardButton, ReplyKeyboardMarkup
from telegram.ext import filters

from bot.i18n import LANGUAGES, t
from bot.runtime import Runtime
from bot.services import cases
from bot.services.grid import is_admin, is_leader
from bot.services.members import Member
from handlers.common import text_keys as keys


@dataclass(frozen=True)
class MenuItem:
    """One button of the menu: its catalogue key and who sees it."""

    key: str
    leaders: bool
    admins: bool
    assignees_only: bool = False  # shown only to someone with open assigned cases


# In the order they appear, two to a row.
ITEMS: tuple[MenuItem, ...] = (
    MenuItem("report", leaders=True, admins=False),
    MenuItem("mycases", leaders=True, admins=False),
    MenuItem("outreach", leaders=True, admins=False),
    MenuItem("patrol", leaders=True, admins=False),
    MenuItem("cases", leaders=False, admins=True),
    MenuItem("meetings", leaders=True, admins=True),
    MenuItem("shifts", leaders=True, admins=True),
    MenuItem("invite", leaders=False, admins=True),
    MenuItem("notice", leaders=False, admins=True),
    MenuItem("stats", leaders=False, admins=True),
    MenuItem("help", leaders=True, admins=True),
    MenuItem("lang", leaders=True, admins=True),
    # 我的待办: the cases assigned to me; last, so the rows above keep their places
    MenuItem("todo", leaders=True, admins=True, assignees_only=True),
)


def items_for(member: Member, *, assigned: bool = False) -> list[MenuItem]:
    """The menu items ``member`` sees; ``assigned``: they have cases assigned to them."""
    return [
        item
        for item in ITEMS
        if ((item.leaders and is_leader(member.role)) or (item.admins and is_admin(member.role)))
        and (assigned or not item.assignees_only)
    ]


async def member_menu(runtime: Runtime, member: Member) -> ReplyKeyboardMarkup:
    """The menu keyboard for ``member`` as things stand: 📌 我的待办 if cases are theirs."""
    assigned = await cases.has_todo(runtime.db, member)
    return menu_keyboard(member, assigned=assigned)


def menu_keyboard(member: Member, *, assigned: bool = False) -> ReplyKeyboardMarkup:
    """The menu keyboard for ``member``, in their language (``assigned``: with 我的待办)."""
    labels = [
        t(member.language, keys.MENU(item.key)) for item in items_for(member, assigned=assigned)
    ]
    rows = [
        [KeyboardButton(label) for label in labels[i : i + 2]] for i in range(0, len(labels), 2)
    ]
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)


def labels(key: str) -> list[str]:
    """The label of menu item ``key`` in every language."""
    return [t(language, keys.MENU(key)) for language in LANGUAGES]


def label_filter(key: str) -> filters.BaseFilter:
    """A filter for private messages that are a press of menu item ``key``."""
    return filters.ChatType.PRIVATE & filters.Text(labels(key))


def any_label() -> filters.BaseFilter:
    """A filter for a press of any menu item: conversations let these through."""
    return filters.Text([label for item in ITEMS for label in labels(item.key)])


@cache
def _all_labels() -> frozenset[str]:
    return frozenset(label for item in ITEMS for label in labels(item.key))


def is_menu_label(text: str) -> bool:
    """Whether ``text`` is the label of a menu item, in any language."""
    return text in _all_labels()
