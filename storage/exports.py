"""The exports repository: rows streamed from SQL for /export and ``python -m bot export``.

An export reads tens of thousands of rows; it runs in a worker thread on its own
read-only connection (WAL lets it read while the bot writes), and each function here
yields rows one by one from a cursor, so memory stays flat however large the area and
period. ``path`` is an area's ``id_path`` (the area and below); ``[since, until)`` UTC.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

_COHORT = (
    "c.community_id IN (SELECT id FROM areas WHERE id_path LIKE :path)"
    " AND c.created_at >= :since AND c.created_at < :until"
)
BATCH = 500


def connect(db_path: str | Path) -> sqlite3.Connection:
    """A read-only connection to the database file, rows as :class:`sqlite3.Row`."""
    conn = sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def _stream(conn: sqlite3.Connection, sql: str, params: dict[str, object]) -> Iterator[sqlite3.Row]:
    cursor = conn.execute(sql, params)
    try:
        while batch := cursor.fetchmany(BATCH):
            yield from batch
    finally:
        cursor.close()


def _params(path: str, since: str, until: str) -> dict[str, object]:
    return {"path": path + "%", "since": since, "until": until}


def cases(conn: sqlite3.Connection, path: str, since: str, until: str) -> Iterator[sqlite3.Row]:
    """The period's cases of the area, oldest first, with the names shown beside them."""
    return _stream(
        conn,
        "SELECT c.*, r.name AS reporter_name, r.phone AS reporter_phone,"
        " r.work_id AS reporter_work_id, ca.path AS community_path, ra.path AS responsible_path,"
        " ra.id_path AS responsible_id_path, pa.path AS place_path, s.name AS assignee_name,"
        " (SELECT count(*) FROM case_photos p WHERE p.case_id = c.id) AS photos,"
        " md.agreement AS mediation_agreement, md.fulfilment AS mediation_fulfilment,"
        " md.revisit_at AS mediation_revisit_at"
        " FROM cases c JOIN members r ON r.id = c.reporter_id"
        " JOIN areas ca ON ca.id = c.community_id JOIN areas ra ON ra.id = c.responsible_area_id"
        " LEFT JOIN areas pa ON pa.id = c.place_area_id LEFT JOIN members s ON s.id = c.assignee_id"
        " LEFT JOIN mediations md ON md.case_id = c.id"
        f" WHERE {_COHORT} ORDER BY c.id",
        _params(path, since, until),
    )


def events(conn: sqlite3.Connection, path: str, since: str, until: str) -> Iterator[sqlite3.Row]:
    """The audit trail of the period's cases of the area, case by case, oldest first."""
    return _stream(
        conn,
        "SELECT e.*, c.number, c.community_id, c.anonymous, c.reporter_id,"
        " ra.id_path AS responsible_id_path,"
        " a.name AS actor_name, a.role AS actor_role"
        " FROM cases c JOIN case_events e ON e.case_id = c.id"
        " JOIN areas ra ON ra.id = c.responsible_area_id LEFT JOIN members a ON a.id = e.actor_id"
        f" WHERE {_COHORT} ORDER BY c.id, e.id",
        _params(path, since, until),
    )


def members(conn: sqlite3.Connection, path: str, until: str) -> Iterator[sqlite3.Row]:
    """The area's members who had joined by the end of the period, by area and name."""
    return _stream(
        conn,
        "SELECT m.*, a.path AS area_path, a.id AS area_id,"
        " (SELECT c.id FROM areas c WHERE a.id_path LIKE c.id_path || '%'"
        "   AND c.kind IN ('community', 'village')) AS community_id"
        " FROM members m JOIN areas a ON a.id = m.area_id"
        " WHERE a.id_path LIKE :path AND m.joined_at < :until ORDER BY a.path, m.name",
        {"path": path + "%", "until": until},
    )


def outreach(conn: sqlite3.Connection, path: str, since: str, until: str) -> Iterator[sqlite3.Row]:
    """The period's policy outreach (政策宣讲) in the area."""
    return _stream(
        conn,
        "SELECT o.at, m.name, m.work_id, a.path AS area_path, o.topic, o.households"
        " FROM outreach_logs o JOIN members m ON m.id = o.member_id"
        " JOIN areas a ON a.id = o.area_id"
        " WHERE a.id_path LIKE :path AND o.at >= :since AND o.at < :until ORDER BY o.at, o.id",
        _params(path, since, until),
    )


def patrols(conn: sqlite3.Connection, path: str, since: str, until: str) -> Iterator[sqlite3.Row]:
    """The period's patrol check-ins (巡逻打卡) in the area."""
    return _stream(
        conn,
        "SELECT p.at, m.name, m.work_id, a.path AS area_path, p.latitude, p.longitude"
        " FROM patrol_logs p JOIN members m ON m.id = p.member_id JOIN areas a ON a.id = p.area_id"
        " WHERE a.id_path LIKE :path AND p.at >= :since AND p.at < :until ORDER BY p.at, p.id",
        _params(path, since, until),
    )


def attendance(
    conn: sqlite3.Connection, path: str, since: str, until: str
) -> Iterator[sqlite3.Row]:
    """Answers and check-ins at the period's meetings of the area."""
    return _stream(
        conn,
        "SELECT o.starts_at, s.title, sa.path AS area_path, o.status, m.name, m.work_id,"
        " t.answer, t.reason, t.answered_at, t.checked_in_at"
        " FROM meeting_occurrences o JOIN meeting_series s ON s.id = o.series_id"
        " JOIN areas sa ON sa.id = s.area_id"
        " JOIN meeting_attendance t ON t.occurrence_id = o.id JOIN members m ON m.id = t.member_id"
        " WHERE sa.id_path LIKE :path AND o.starts_at >= :since AND o.starts_at < :until"
        " ORDER BY o.starts_at, o.id, m.name",
        _params(path, since, until),
    )


def shifts(conn: sqlite3.Connection, path: str, since: str, until: str) -> Iterator[sqlite3.Row]:
    """The period's duty shifts of the area, with who took them."""
    return _stream(
        conn,
        "SELECT sh.starts_at, sh.ends_at, p.name AS post, a.path AS area_path, sh.needed,"
        " (SELECT count(*) FROM shift_assignments x WHERE x.shift_id = sh.id) AS taken,"
        " (SELECT group_concat(m.name, '、') FROM shift_assignments x"
        "   JOIN members m ON m.id = x.member_id WHERE x.shift_id = sh.id) AS people"
        " FROM shifts sh JOIN duty_posts p ON p.id = sh.post_id JOIN areas a ON a.id = p.area_id"
        " WHERE a.id_path LIKE :path AND sh.starts_at >= :since AND sh.starts_at < :until"
        " ORDER BY sh.starts_at, sh.id",
        _params(path, since, until),
    )


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {str(r[0]) for r in conn.execute("SELECT name FROM pragma_table_info(?)", (table,))}


def notice_coverage(
    conn: sqlite3.Connection, path: str, since: str, until: str
) -> Iterator[sqlite3.Row] | None:
    """Each notice delivery to the area's members in the period, if notices exist (else None).

    Notices are another feature's tables; expected: ``notice_deliveries`` with
    ``notice_id``, ``member_id``, ``sent_at``, ``relayed_at`` (see storage/stats.py).
    """
    if not {"notice_id", "member_id", "sent_at", "relayed_at"} <= _columns(
        conn, "notice_deliveries"
    ):
        return None
    return _stream(
        conn,
        "SELECT d.notice_id, d.sent_at, d.relayed_at, m.name, m.work_id, a.path AS area_path"
        " FROM notice_deliveries d JOIN members m ON m.id = d.member_id"
        " JOIN areas a ON a.id = m.area_id"
        " WHERE a.id_path LIKE :path AND d.sent_at >= :since AND d.sent_at < :until"
        " ORDER BY d.sent_at, d.notice_id, m.name",
        _params(path, since, until),
    )


def anything(conn: sqlite3.Connection, path: str, since: str, until: str) -> bool:
    """Whether the area has anything recorded in the period (cases, duties, meetings, shifts)."""
    params = _params(path, since, until)
    checks = (
        f"SELECT 1 FROM cases c WHERE {_COHORT} LIMIT 1",
        "SELECT 1 FROM outreach_logs o JOIN areas a ON a.id = o.area_id"
        " WHERE a.id_path LIKE :path AND o.at >= :since AND o.at < :until LIMIT 1",
        "SELECT 1 FROM patrol_logs p JOIN areas a ON a.id = p.area_id"
        " WHERE a.id_path LIKE :path AND p.at >= :since AND p.at < :until LIMIT 1",
        "SELECT 1 FROM meeting_occurrences o JOIN meeting_series s ON s.id = o.series_id"
        " JOIN areas a ON a.id = s.area_id JOIN meeting_attendance t ON t.occurrence_id = o.id"
        " WHERE a.id_path LIKE :path AND o.starts_at >= :since AND o.starts_at < :until LIMIT 1",
        "SELECT 1 FROM shifts sh JOIN duty_posts p ON p.id = sh.post_id"
        " JOIN areas a ON a.id = p.area_id"
        " WHERE a.id_path LIKE :path AND sh.starts_at >= :since AND sh.starts_at < :until LIMIT 1",
    )
    return any(conn.execute(sql, params).fetchone() is not None for sql in checks)
