"""One conversation at a time, and gridbot's own record of who is in which conversation.

Every conversation is built with :func:`flow_conversation` (a :class:`FlowConversation`, a
python-telegram-bot ``ConversationHandler``). Each of its handlers is wrapped so that the
state it returns is also written to gridbot's own record of the member's running flows:
set when a flow begins, cleared when it returns ``END``. The record lives in the member's
``user_data`` under :data:`FLOWS` (``{conversation name: chat id}``), so it is written
with the conversation's state by the persistence, in the same transaction, and survives
a restart. Nothing here reads python-telegram-bot's private conversation table.

A flow ended from outside an update (the ``sweep:drafts`` job ending an idle report) is
ended with :func:`end_flow`: the record is cleared and the persisted state forgotten.
The running ConversationHandler still holds the old state in memory, and PTB offers no
public way to drop it; so a :class:`FlowConversation` whose record says the flow is not
running behaves as if it had no state: it takes only an update that would begin it
(which begins it anew) and lets every other update go on to the other handlers.

All of gridbot's conversations share handler group 0, where the first handler that
wants an update gets it. Without a guard, a member filling in a report who taps
the meetings button would start a second conversation beside the first, and their
next typed message would land in whichever was registered first. The guard runs in
an earlier group: while a member is in a conversation, a command, a menu button or
another flow's entry button that the current conversation does not take is answered
with "finish this first, or /cancel", and goes no further. /help, /lang and /cancel
always pass, so help is never out of reach and /cancel reaches the conversation.

Each conversation's name has a text ``flow.<name>`` for that answer.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, BaseHandler, ConversationHandler

from bot.i18n import t
from handlers.common import text_keys as keys
from handlers.common.context import GridContext
from handlers.common.menu import is_menu_label

# Handler group of the guard: before group 0, where the conversations are.
GROUP_GUARD = -10

# Commands that never interrupt a conversation and so always pass.
PASS_THROUGH = frozenset({"help", "lang", "cancel"})

# user_data key of the member's running flows: {conversation name: chat id}.
FLOWS = "flows"

AnyHandler = BaseHandler[Any, Any, Any]
UserData = Mapping[int, MutableMapping[str, Any]]


def running_flows(data: Mapping[str, Any] | None) -> dict[str, int]:
    """The flows recorded in one member's ``user_data``: name -> chat id."""
    found = data.get(FLOWS) if data is not None else None
    if not isinstance(found, dict):
        return {}
    return {name: chat for name, chat in found.items() if isinstance(chat, int)}


def _note(data: MutableMapping[str, Any], name: str, chat_id: int | None) -> None:
    """Record that flow ``name`` runs in ``chat_id`` (None: that it ended)."""
    flows = running_flows(data)
    if chat_id is None:
        flows.pop(name, None)
    else:
        flows[name] = chat_id
    if flows:
        data[FLOWS] = flows
    else:
        data.pop(FLOWS, None)


def _flows_of(user_data: UserData | None, update: Update) -> list[str]:
    """The flows the sender of ``update`` has running in its chat."""
    user, chat = update.effective_user, update.effective_chat
    if user_data is None or user is None or chat is None:
        return []
    return [
        name for name, where in running_flows(user_data.get(user.id)).items() if where == chat.id
    ]


async def end_flow(
    application: Application[Any, Any, Any, Any, Any, Any], user_id: int, name: str
) -> None:
    """End flow ``name`` of ``user_id`` from outside an update (a job): record and state.

    The record is cleared and the persisted conversation state forgotten, both written
    by the next ``update_persistence``. The conversation, finding no record, no longer
    takes the member's messages (see :class:`FlowConversation`).
    """
    data = application.user_data.get(user_id)
    chat_id = running_flows(data).get(name)
    if data is not None:
        _note(data, name, None)
        application.mark_data_for_update_persistence(user_ids=[user_id])
    if application.persistence is not None:
        # The private chat, where every flow ended this way runs, unless recorded otherwise.
        key = (chat_id if chat_id is not None else user_id, user_id)
        await application.persistence.update_conversation(name, key, None)


def _taken(check: object) -> bool:
    return check is not None and check is not False


class _Tracked(BaseHandler[Update, GridContext, object]):
    """One handler of a conversation, whose returned state also goes to the flow record."""

    def __init__(self, name: str, inner: AnyHandler) -> None:
        super().__init__(inner.callback, block=inner.block)
        self.name = name
        self.inner = inner

    def check_update(self, update: object) -> object:
        """What the wrapped handler says."""
        return self.inner.check_update(update)

    async def handle_update(
        self, update: Update, application: Any, check_result: object, context: GridContext
    ) -> object:
        """Run the wrapped handler and record the state it returns."""
        try:
            state = await self.inner.handle_update(update, application, check_result, context)
        except ApplicationHandlerStop as stop:
            self._record(update, context, stop.state)
            raise
        self._record(update, context, state)
        return state

    def _record(self, update: Update, context: GridContext, state: object) -> None:
        if state is None or context.user_data is None:  # None: the state does not change
            return
        chat = update.effective_chat
        if state == ConversationHandler.END or chat is None:
            _note(context.user_data, self.name, None)
        else:
            _note(context.user_data, self.name, chat.id)


class _Restart(BaseHandler[Update, GridContext, object]):
    """First in every state: an entry update of a flow whose record is gone begins it anew.

    The conversation's in-memory state outlived the flow (it was ended by a job); the
    update is handed to the entry point it matches, whose state replaces the old one.
    """

    def __init__(self, conversation: FlowConversation, entries: Sequence[_Tracked]) -> None:
        super().__init__(entries[0].callback)
        self.conversation = conversation
        self.entries = tuple(entries)

    def check_update(self, update: object) -> tuple[_Tracked, object] | None:
        """The entry point (and its check) to hand a restarting update to, if any."""
        if not isinstance(update, Update) or self.conversation.holds(update):
            return None
        for entry in self.entries:
            check = entry.check_update(update)
            if _taken(check):
                return entry, check
        return None

    async def handle_update(  # type: ignore[override]
        self,
        update: Update,
        application: Any,
        check_result: tuple[_Tracked, object],
        context: GridContext,
    ) -> object:
        """Begin the flow as its entry point would."""
        entry, check = check_result
        return await entry.handle_update(update, application, check, context)


class FlowConversation(ConversationHandler[GridContext]):
    """A persistent ConversationHandler that keeps gridbot's record of the member's flow.

    Build it with :func:`flow_conversation`; the composition root binds it to the Application
    (:func:`bind_flows`) so that it can read the record.
    """

    def __init__(
        self,
        *,
        name: str,
        entry_points: list[AnyHandler],
        states: Mapping[object, list[AnyHandler]],
        fallbacks: list[AnyHandler],
        allow_reentry: bool = False,
    ) -> None:
        entries = [_Tracked(name, h) for h in entry_points]
        wrapped: dict[object, list[AnyHandler]] = {}
        for state, handlers in states.items():
            restart: list[AnyHandler] = [_Restart(self, entries)] if entries else []
            wrapped[state] = restart + [_Tracked(name, h) for h in handlers]
        # Per chat and user (PTB's default): the record keeps the chat id. No
        # conversation_timeout: PTB keeps its timeout jobs in memory only, so a restart
        # would lose them (python-telegram-bot issue 3522); idle flows are ended by sweeps
        # over the database instead (sweep:drafts), with end_flow.
        super().__init__(
            entry_points=list(entries),
            states=wrapped,
            fallbacks=[_Tracked(name, h) for h in fallbacks],
            allow_reentry=allow_reentry,
            name=name,
            persistent=True,
        )
        self._user_data: UserData | None = None

    def bind(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Read the flow record from ``application``'s user data."""
        self._user_data = application.user_data

    def holds(self, update: Update) -> bool:
        """Whether the record says the sender of ``update`` is in this flow, in this chat."""
        if self._user_data is None:
            raise RuntimeError(f"conversation {self.name!r} was not bound (see bind_flows)")
        return self.name in _flows_of(self._user_data, update)

    def begins(self, update: object) -> bool:
        """Whether ``update`` would begin this flow."""
        return any(_taken(entry.check_update(update)) for entry in self.entry_points)

    def check_update(self, update: object) -> Any:
        """As ConversationHandler, but a flow the record does not hold takes only its entries."""
        if not isinstance(update, Update) or update.effective_chat is None:
            return None  # per chat and user: PTB would not take it either
        if update.effective_user is None:
            return None
        if not self.holds(update) and not self.begins(update):
            return None
        return super().check_update(update)


def flow_conversation(
    *,
    name: str,
    entry_points: list[AnyHandler],
    states: Mapping[object, list[AnyHandler]],
    fallbacks: list[AnyHandler],
    allow_reentry: bool = False,
) -> FlowConversation:
    """A persistent conversation ``name`` whose running flows are recorded (see module doc).

    Every conversation of gridbot is built here, never as a bare ConversationHandler:
    :func:`bind_flows` refuses one that is not, so the guard cannot miss it.
    """
    return FlowConversation(
        name=name,
        entry_points=entry_points,
        states=states,
        fallbacks=fallbacks,
        allow_reentry=allow_reentry,
    )


def _takes(handler: AnyHandler, update: Update) -> bool:
    return _taken(handler.check_update(update))


def _command(update: Update) -> str | None:
    message = update.message
    if message is None or not message.text or not message.text.startswith("/"):
        return None
    words = message.text[1:].split(maxsplit=1)
    return words[0].split("@", 1)[0].lower() if words else ""


class ConversationGuard(BaseHandler[Update, GridContext, None]):
    """Answers a member who tries to start something else in the middle of a conversation."""

    def __init__(self, conversations: Sequence[FlowConversation]) -> None:
        super().__init__(self._busy)
        self.conversations = tuple(conversations)

    def check_update(self, update: object) -> str | None:
        """The name of the conversation that holds the sender, if this update would leave it."""
        if not isinstance(update, Update) or update.effective_user is None:
            return None
        if update.effective_chat is None:
            return None
        active = [c for c in self.conversations if c.holds(update)]
        if not active or any(_takes(c, update) for c in active):
            return None
        command = _command(update)
        if command is not None:
            return None if command in PASS_THROUGH else active[0].name
        message = update.message
        if message is not None and message.text and is_menu_label(message.text):
            return active[0].name
        # A button or message that would start another conversation.
        others = (c for c in self.conversations if c not in active)
        if any(_takes(c, update) for c in others):
            return active[0].name
        return None

    async def _busy(self, update: Update, context: GridContext) -> None:
        raise AssertionError("handled in handle_update")  # pragma: no cover

    async def handle_update(  # type: ignore[override]
        self,
        update: Update,
        application: Any,
        check_result: str,
        context: GridContext,
    ) -> None:
        """Say which flow is running and stop the update here."""
        lang = await context.lang(update)
        text = t(lang, "common.busy_flow", flow=t(lang, keys.FLOW(check_result)))
        query = update.callback_query
        if query is not None:
            await query.answer(text, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text)
        raise ApplicationHandlerStop


def bind_flows(
    application: Application[Any, Any, Any, Any, Any, Any], handlers: Sequence[AnyHandler]
) -> ConversationGuard:
    """Bind every conversation among ``handlers`` to ``application``; the guard over them.

    Raises TypeError for a ConversationHandler not built with :func:`flow_conversation`: its
    flows would not be recorded, and the guard would not see them.
    """
    flows: list[FlowConversation] = []
    for handler in handlers:
        if isinstance(handler, FlowConversation):
            handler.bind(application)
            flows.append(handler)
        elif isinstance(handler, ConversationHandler):
            raise TypeError(
                f"conversation {handler.name!r} must be built with "
                "handlers.common.flows.flow_conversation"
            )
    return ConversationGuard(flows)


def forget_flows(data: MutableMapping[str, Any] | None, chat_id: int) -> list[str]:
    """Clear the flows recorded in one member's ``user_data`` for ``chat_id``; their names.

    For /cancel outside any conversation: a record left without its conversation (which
    should not happen) must not keep the member out of every other flow.
    """
    if data is None:
        return []
    names = [name for name, chat in running_flows(data).items() if chat == chat_id]
    for name in names:
        _note(data, name, None)
    return names
