"""The gate every update passes first: strangers throttled, members who come back released.

- Someone who has not joined is answered at most once a minute: the first thing they
  send in a minute is handled as usual (``/help``, or a note on how to join), the rest
  is not processed at all, so a flood costs one database look-up a minute. Joining is
  never held up: ``/start <code>``, the steps of a join in progress and the language
  buttons always pass.
- A member who had blocked the bot and now writes to it in private, or unblocks it
  (Telegram's ``my_chat_member`` update), is reachable again, and what was held for
  them goes out.
- A member who blocks the bot (``my_chat_member``, "kicked") is marked unreachable at
  once, without waiting for a message to bounce.

The throttle's memory is in the process only: after a restart a stranger may be
answered once more, which loses nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from telegram import ChatMember, Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from bot.services import members as member_service
from handlers.common.callbacks import is_for
from handlers.common.context import GridContext
from handlers.language import PREFIX as LANGUAGE_BUTTONS
from handlers.start import DRAFT

# Runs before everything else, the conversation guard included (handlers/common/flows.py: -10).
GROUP_GATE = -20
STRANGER_WINDOW = timedelta(minutes=1)
# Strangers remembered at most; past that the oldest are forgotten (one more answer each).
STRANGERS_KEPT = 10_000


class Gate:
    """The gate's state: when each stranger was last let through."""

    def __init__(self) -> None:
        self.let_through: dict[int, datetime] = {}

    async def __call__(self, update: Update, context: GridContext) -> None:
        """Let the update on, or stop it here (a stranger's second message in a minute)."""
        if update.my_chat_member is not None:
            await self._chat_member(update, context)
            return
        user = update.effective_user
        if user is None or (update.message is None and update.callback_query is None):
            return  # edits, polls, group membership: the handlers decide
        if _joining(update, context):
            self.let_through.pop(user.id, None)  # a member soon: not a stranger any more
            return
        now = context.runtime.clock.now()
        last = self.let_through.get(user.id)
        if last is not None and now - last < STRANGER_WINDOW:
            # A stranger a moment ago (joining would have cleared it): stopped without a
            # look at the database, and not answered, a button press included: answering
            # a flood would spend the bot's 30 messages a second that members need.
            raise ApplicationHandlerStop
        member = await context.member(update)
        if member is not None:
            chat = update.effective_chat
            # Only a private message proves the block is lifted: someone who blocked the
            # bot can still write in a group it is in.
            if not member.reachable and chat is not None and chat.type == "private":
                await member_service.reachable_again(
                    context.runtime.db, context.runtime.clock, member
                )
                context.forget_member()
            return
        if len(self.let_through) >= STRANGERS_KEPT:
            for old in sorted(self.let_through, key=self.let_through.__getitem__)[:1000]:
                del self.let_through[old]
        self.let_through[user.id] = now

    async def _chat_member(self, update: Update, context: GridContext) -> None:
        change = update.my_chat_member
        assert change is not None
        if change.chat.type != "private":
            return  # a group: handlers/group_binding.py
        member = await member_service.current(context.runtime.db, change.from_user.id)
        if member is None:
            return
        status = change.new_chat_member.status
        if status in (ChatMember.BANNED, ChatMember.LEFT):
            await member_service.blocked(context.runtime.db, context.runtime.clock, member.id)
        elif status == ChatMember.MEMBER:
            await member_service.reachable_again(context.runtime.db, context.runtime.clock, member)
        context.forget_member()


def _joining(update: Update, context: GridContext) -> bool:
    """Whether the stranger is joining: ``/start <code>``, a join in progress, or the
    language buttons that ``/lang`` offers before it."""
    query = update.callback_query
    if query is not None and is_for(query.data, LANGUAGE_BUTTONS):
        return True
    message = update.message
    if message is not None and message.text is not None:
        words = message.text.split()
        if len(words) > 1 and words[0].split("@")[0] == "/start":
            return True
    return isinstance(context.store.get(DRAFT), dict)


def build_handlers() -> list[BaseHandler[Any, Any, Any]]:
    """The gate: one handler that sees every update first (group :data:`GROUP_GATE`)."""
    return [TypeHandler(Update, Gate())]
