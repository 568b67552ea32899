"""A case as people see it: the case with its reporter, its place and its photos.

Alerts, lists and timelines show a case with names that live in other tables;
this gathers them in one read, so a renderer has no SQL to write.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage import areas as area_repo
from storage import cases as case_repo
from storage import members as member_repo
from storage.cases import Case
from storage.db import Queryable
from storage.members import Member


@dataclass(frozen=True)
class CaseView:
    """A case and what is shown beside it."""

    case: Case
    reporter: Member | None
    place_path: str | None  # the full path of the building or unit chosen
    photo_ids: tuple[str, ...]  # Telegram file ids of the reporter's photos

    @property
    def coordinates(self) -> str | None:
        """The shared location as 'lat, lon', if there is one."""
        if self.case.latitude is None or self.case.longitude is None:
            return None
        return f"{self.case.latitude:.5f}, {self.case.longitude:.5f}"


async def case_view(q: Queryable, case_id: int) -> CaseView | None:
    """The case ``case_id`` with its reporter, place and photos; None if there is none."""
    case = await case_repo.get(q, case_id)
    if case is None:
        return None
    reporter = await member_repo.get(q, case.reporter_id)
    place_path = None
    if case.place_area_id is not None:
        area = await area_repo.get(q, case.place_area_id)
        place_path = area.path if area is not None else None
    photos = tuple(p.file_id for p in await case_repo.photos(q, case.id, "report"))
    return CaseView(case=case, reporter=reporter, place_path=place_path, photo_ids=photos)
