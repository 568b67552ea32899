"""Fault injection: the failures a bot meets in production, on demand or at random.

Kinds:

- ``timeout``: the request times out, nothing is delivered (the bot sees ``TimedOut``).
- ``timeout_after``: the request is carried out but the answer is lost (``TimedOut``), so a
  retry sends a duplicate, as can happen for real.
- ``server_error``: 500 "Internal Server Error" (or 502 "Bad Gateway" with ``code=502``);
  the bot sees ``NetworkError``.
- ``flood``: 429 with ``retry_after`` (``RetryAfter``).
- ``forbidden``: 403 "Forbidden: bot was blocked by the user" (``Forbidden``).
- ``bad_request``: 400 with the given description (``BadRequest``).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from bot.offline.standin.records import ApiError

__all__ = ["FAULT_KINDS", "Fault", "FaultPlan"]

FAULT_KINDS = frozenset(
    {"timeout", "timeout_after", "server_error", "flood", "forbidden", "bad_request"}
)
# Methods a fault without an explicit method never hits: a background long poll would
# otherwise take the fault meant for the next send, at a moment nobody can predict.
_NOT_BY_DEFAULT = frozenset({"getupdates"})


@dataclass(slots=True)
class Fault:
    """One planned failure; ``times`` is how many more requests it hits."""

    kind: str
    method: str | None = None
    chat_id: int | str | None = None
    times: int = 1
    retry_after: int = 3
    code: int | None = None
    description: str | None = None

    def matches(self, method: str, chat_id: object) -> bool:
        """Whether this fault applies to a call of ``method`` (lower case) for ``chat_id``."""
        if self.method is None:
            if method in _NOT_BY_DEFAULT:
                return False
        elif self.method.lower() != method:
            return False
        return self.chat_id is None or str(self.chat_id) == str(chat_id)

    def error(self) -> ApiError | None:
        """The error answer for this fault; None for the two timeout kinds."""
        if self.kind == "server_error":
            code = self.code or 500
            text = self.description or ("Bad Gateway" if code == 502 else "Internal Server Error")
            return ApiError(code, text, kind="server_error")
        if self.kind == "flood":
            return ApiError(
                429,
                self.description or f"Too Many Requests: retry after {self.retry_after}",
                kind="flood",
                retry_after=self.retry_after,
            )
        if self.kind == "forbidden":
            return ApiError(
                403, self.description or "Forbidden: bot was blocked by the user", kind="forbidden"
            )
        if self.kind == "bad_request":
            return ApiError(
                self.code or 400, self.description or "Bad Request: chat not found", kind="injected"
            )
        return None


class FaultPlan:
    """The planned faults and the optional random ones, consulted once per request."""

    __slots__ = ("_faults", "_kinds", "_methods", "_rate", "_rng", "injected")

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._rate = 0.0
        self._kinds: tuple[str, ...] = ()
        self._methods: frozenset[str] | None = None
        self._rng = random.Random(0)
        self.injected: list[tuple[str, str]] = []

    def add(self, fault: Fault) -> None:
        """Plan ``fault`` after the ones already planned."""
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; use one of {sorted(FAULT_KINDS)}")
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        self._faults.append(fault)

    def random(
        self,
        rate: float,
        kinds: Iterable[str],
        seed: int,
        methods: Collection[str] | None,
    ) -> None:
        """Fail each request with probability ``rate``, with a kind drawn from ``kinds``."""
        kinds = tuple(kinds)
        unknown = set(kinds) - FAULT_KINDS
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}")
        if rate > 0 and not kinds:
            raise ValueError("random faults need at least one kind")
        self._rate = rate
        self._kinds = kinds
        self._rng = random.Random(seed)
        self._methods = frozenset(m.lower() for m in methods) if methods is not None else None

    def clear(self) -> None:
        """Drop every planned fault and stop random ones."""
        self._faults.clear()
        self._rate = 0.0

    @property
    def pending(self) -> list[Fault]:
        """Planned faults that have not fired yet."""
        return list(self._faults)

    def take(self, method: str, chat_id: object) -> Fault | None:
        """The fault for this request, if any (``method`` in lower case)."""
        if self._faults:
            for index, fault in enumerate(self._faults):
                if fault.matches(method, chat_id):
                    fault.times -= 1
                    if fault.times == 0:
                        del self._faults[index]
                    self.injected.append((fault.kind, method))
                    return fault
        if self._rate > 0:
            allowed = (
                method in self._methods
                if self._methods is not None
                else method not in _NOT_BY_DEFAULT
            )
            if allowed and self._rng.random() < self._rate:
                fault = Fault(self._rng.choice(self._kinds))
                self.injected.append((fault.kind, method))
                return fault
        return None
