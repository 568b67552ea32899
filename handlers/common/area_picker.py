"""A keyboard for choosing an area by walking down the tree from where one stands.

The current area is offered when it is a valid choice; its children are listed to
open (or to choose at once, when they are a valid choice with nothing below), a
page at a time, with a way back up. Buttons carry the owning conversation's
prefix and flow id: ``<prefix>:<flow>:open:<area>:<page>`` and
``<prefix>:<flow>:pick:<area>``. The handler that receives them must check again,
on the server, that the area is one the member may choose.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import t
from bot.services.areas import Area
from handlers.common.callbacks import pack

PAGE_SIZE = 8


def area_keyboard(
    *,
    prefix: str,
    flow: str,
    lang: str,
    current: Area,
    top: Area,
    children: list[tuple[Area, int]],
    page: int,
    fits: Callable[[Area], bool],
    leads_to_fit: Callable[[Area], bool],
) -> InlineKeyboardMarkup:
    """Buttons to choose ``current``, open or choose one of its children, page, or go up.

    ``top`` is the highest area the member may reach; there is no going above it.
    ``leads_to_fit`` says whether a child has valid choices below it.
    """
    rows: list[list[InlineKeyboardButton]] = []
    if fits(current):
        rows.append(
            [
                InlineKeyboardButton(
                    t(lang, "picker.choose_this", name=current.name),
                    callback_data=pack(prefix, flow, "pick", current.id),
                )
            ]
        )
    shown: list[InlineKeyboardButton] = []
    useful = [(c, n) for c, n in children if fits(c) or (n and leads_to_fit(c))]
    pages = max(1, -(-len(useful) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    for child, below in useful[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        if fits(child) and not (below and leads_to_fit(child)):
            shown.append(
                InlineKeyboardButton(child.name, callback_data=pack(prefix, flow, "pick", child.id))
            )
        else:
            shown.append(
                InlineKeyboardButton(
                    t(lang, "picker.open", name=child.name),
                    callback_data=pack(prefix, flow, "open", child.id, 0),
                )
            )
    rows.extend(shown[i : i + 2] for i in range(0, len(shown), 2))
    nav: list[InlineKeyboardButton] = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(
                t(lang, "picker.previous"),
                callback_data=pack(prefix, flow, "open", current.id, page - 1),
            )
        )
    if page < pages - 1:
        nav.append(
            InlineKeyboardButton(
                t(lang, "picker.next"),
                callback_data=pack(prefix, flow, "open", current.id, page + 1),
            )
        )
    if current.id != top.id and current.parent_id is not None:
        nav.append(
            InlineKeyboardButton(
                t(lang, "picker.up"), callback_data=pack(prefix, flow, "open", current.parent_id, 0)
            )
        )
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows)


def candidates_keyboard(
    *, prefix: str, flow: str, candidates: list[Area], fits: Callable[[Area], bool]
) -> InlineKeyboardMarkup:
    """Buttons for areas that matched a typed name: choose one, or open it."""
    rows = [
        [
            InlineKeyboardButton(
                area.path,
                callback_data=pack(prefix, flow, "pick", area.id)
                if fits(area)
                else pack(prefix, flow, "open", area.id, 0),
            )
        ]
        for area in candidates[:10]
    ]
    return InlineKeyboardMarkup(rows)
