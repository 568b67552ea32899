"""The callback context of gridbot's handlers: the runtime, the member, their language."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from telegram import Update
from telegram.ext import CallbackContext, ExtBot

from bot.i18n import normalize_language, t
from bot.runtime import Runtime, Write
from bot.services import cases, members
from bot.services.members import Member

LANG_KEY = "lang"  # user_data key: the language of someone who has not joined yet


class GridContext(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], dict[str, Any]]):
    """A CallbackContext that knows gridbot's runtime and caches the member per update.

    python-telegram-bot builds one context per update and hands the same one to every
    handler the update reaches (the gate, the conversation guard, the handler itself, a
    ConversationHandler's step), so the member read here is read once per update. It is
    read again only if a commit changed a member since (any member: the count is the
    application's, moved by every write in storage/members.py, so a language switch,
    a join, a block or a deactivation by someone else is never answered from memory).
    Nothing of it is persisted: user_data and chat_data outlive the update.
    """

    _member_loaded: bool = False
    _member: Member | None = None
    # The application's member_changes when the cached member was read (or remembered).
    _member_seen_at: int = -1

    @property
    def runtime(self) -> Runtime:
        """The config, database and clock of this bot."""
        return cast(Runtime, self.application.runtime)  # type: ignore[attr-defined]

    @property
    def store(self) -> dict[str, Any]:
        """This user's persisted data (drafts, a guest's language); empty outside a user."""
        if self.user_data is None:
            return {}
        return self.user_data

    def _member_changes(self) -> int:
        return int(getattr(self.application, "member_changes", 0))

    async def member(self, update: object) -> Member | None:
        """The member who sent ``update``, or None if they have not joined.

        Read from the database once per update, and again after any change to a member.
        """
        seen_at = self._member_changes()
        if not self._member_loaded or self._member_seen_at != seen_at:
            user = update.effective_user if isinstance(update, Update) else None
            # The count is taken before the read: a change committed while it runs moves
            # the count past it, so the next call reads again.
            self._member = (
                None
                if user is None
                # 我的待办 read with them: the menu shows its button by it (handlers/common/menu).
                else await members.current(
                    self.runtime.db, user.id, todo_statuses=cases.TODO_STATUSES
                )
            )
            self._member_loaded = True
            self._member_seen_at = seen_at
        return self._member

    def remember_member(self, member: Member) -> None:
        """Keep ``member`` as the sender, as a service just committed it (no read needed),
        or as a change left for this update's save will store it (:meth:`write_with_update`).

        Only for a member returned by that service, with no await between its commit (or
        its read in this update) and this call: then no other change can have come in
        between. The save's commit tells every other update to read the member again.
        """
        self._member = member
        self._member_loaded = True
        self._member_seen_at = self._member_changes()

    def forget_member(self) -> None:
        """Drop the cached member (a change committed through storage/members.py drops it
        by itself; this is for anything else that makes the cached one wrong)."""
        self._member_loaded = False
        self._member = None

    def write_with_update(
        self, update: object, statement: Write, *, marks: Iterable[str] = ()
    ) -> None:
        """Write ``statement`` with ``update``'s save, in the transaction that records it
        as handled (``GridApplication.write_with_update``): for what is stored with the
        update or not at all, at no commit of its own (``marks``: the topics it concerns)."""
        self.application.write_with_update(  # type: ignore[attr-defined]
            update, statement, marks=marks
        )

    async def lang(self, update: object) -> str:
        """The language to answer ``update`` in."""
        member = await self.member(update)
        if member is not None:
            return member.language
        chosen = self.store.get(LANG_KEY)
        return normalize_language(
            chosen if isinstance(chosen, str) else self.runtime.config.locale.default_language
        )

    async def text(self, update: object, key: str, /, **values: object) -> str:
        """The text ``key`` in the language of ``update``'s sender."""
        return t(await self.lang(update), key, **values)
