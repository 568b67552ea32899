"""The callback context of gridbot's handlers: the runtime, the member, their language."""

from __future__ import annotations

from typing import Any, cast

from telegram import Update
from telegram.ext import CallbackContext, ExtBot

from bot.i18n import normalize_language, t
from bot.runtime import Runtime
from bot.services import members
from bot.services.members import Member

LANG_KEY = "lang"  # user_data key: the language of someone who has not joined yet


class GridContext(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], dict[str, Any]]):
    """A CallbackContext that knows gridbot's runtime and caches the member per update."""

    _member_loaded: bool = False
    _member: Member | None = None

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

    async def member(self, update: object) -> Member | None:
        """The member who sent ``update``, or None if they have not joined."""
        if not self._member_loaded:
            user = update.effective_user if isinstance(update, Update) else None
            self._member = None if user is None else await members.current(self.runtime.db, user.id)
            self._member_loaded = True
        return self._member

    def forget_member(self) -> None:
        """Drop the cached member (after it changed during this update)."""
        self._member_loaded = False
        self._member = None

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
