"""Opening a case from a leader's confirmed report (信息采集).

One transaction stores the case with its public number, due times, photos and the
'created' event, and queues one alert per admin who answers for the reporter's
community. The draft's id makes it idempotent: confirming twice (or the same
update arriving twice) returns the case made the first time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.config import Config
from bot.services.cases import CASE_NEW as CASE_NEW  # re-exported: the alert's kind
from bot.services.cases import alert_level
from bot.services.cases.routing import community_id_of
from bot.services.categories import Category, is_subcategory
from bot.services.permissions import Action, may
from storage import areas as area_repo
from storage import cases as case_repo
from storage import counters
from storage.cases import Case, NewCase
from storage.db import Database, Transaction
from storage.members import Member
from storage.times import to_db


class ReportRefused(Exception):
    """The report cannot be filed; the message says why (for logs, not users)."""


@dataclass(frozen=True)
class Report:
    """What a leader confirmed at the end of /report."""

    category: Category
    subcategory: str
    details: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    voice_file_id: str | None = None
    voice_duration: int | None = None
    photos: tuple[tuple[str, str | None], ...] = ()  # (file_id, file_unique_id)
    place_area_id: int | None = None
    place_text: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    urgent: bool = False
    anonymous: bool = False


@dataclass(frozen=True)
class Opened:
    """The case a report became; ``created`` is False when it existed already."""

    case: Case
    created: bool


async def open_case(
    db: Database,
    clock: Clock,
    config: Config,
    reporter: Member,
    report: Report,
    *,
    idempotency_key: str,
    also: Callable[[Transaction], Awaitable[object]] | None = None,
) -> Opened:
    """File ``report`` as a new case of ``reporter``'s community; see the module doc.

    ``also`` runs in the same transaction, once, whether the case is new or was filed
    before under the same key (report_flow removes the draft the case came from): one
    commit for both.
    """
    if not is_subcategory(report.category, report.subcategory):
        raise ReportRefused(f"{report.subcategory!r} is not a kind of {report.category}")
    if report.description is None and report.voice_file_id is None and not report.photos:
        # photos alone say what happened too (issue 15: "or photos, with or without a caption")
        raise ReportRefused("a report needs a description: typed, spoken or photographed")
    community_id = community_id_of(reporter.area_id_path)
    if community_id is None:
        raise ReportRefused("the reporter is above community level")
    now = clock.now()
    limits = config.sla.limits(report.category, report.urgent)

    async def file(tx: Transaction) -> Opened:
        existing = await case_repo.by_idempotency_key(tx, idempotency_key)
        if also is not None:
            await also(tx)
        if existing is not None:
            return Opened(existing, created=False)
        home = await area_repo.get(tx, reporter.area_id)
        community = await area_repo.get(tx, community_id)
        if home is None or community is None or not may(reporter, Action.REPORT, home):
            raise ReportRefused(f"member {reporter.id} may not report")
        if report.place_area_id is not None:
            place = await area_repo.get(tx, report.place_area_id)
            if place is None or not may(reporter, Action.REPORT, place):
                raise ReportRefused(f"place {report.place_area_id} is outside the reporter's area")
        day = now.astimezone(config.tz).strftime("%Y%m%d")
        serial = await counters.next_value(tx, f"case:{day}")
        stamp = to_db(now)
        case = await case_repo.insert(
            tx,
            NewCase(
                number=f"{config.grid.code}-{day}-{serial:04d}",
                category=report.category.value,
                subcategory=report.subcategory,
                details=report.details,
                description=report.description,
                voice_file_id=report.voice_file_id,
                voice_duration=report.voice_duration,
                place_area_id=report.place_area_id,
                place_text=report.place_text,
                latitude=report.latitude,
                longitude=report.longitude,
                urgent=report.urgent,
                anonymous=report.anonymous,
                reporter_id=reporter.id,
                community_id=community_id,
                accept_due=to_db(now + timedelta(minutes=limits.accept_minutes)),
                resolve_due=to_db(now + timedelta(minutes=limits.resolve_minutes)),
                verify_due=None,
                now=stamp,
                idempotency_key=idempotency_key,
            ),
        )
        for position, (file_id, unique_id) in enumerate(report.photos):
            await case_repo.add_photo(
                tx,
                case.id,
                file_id=file_id,
                file_unique_id=unique_id,
                stage="report",
                position=position,
                added_by=reporter.id,
                now=stamp,
            )
        await case_repo.add_event(
            tx, case.id, at=stamp, actor_id=reporter.id, kind="created", to_status="new"
        )
        # The community's admins and its bound group chats (bot/services/cases/alerts.py).
        await alert_level(tx, case, community, CASE_NEW, stamp)
        return Opened(case, created=True)

    # One trip to the database thread for the whole transaction (storage/db.py).
    return await db.run_transaction(file)
