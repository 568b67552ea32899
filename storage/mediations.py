"""Mediation records of settled disputes (人民调解), and their follow-up visits (回访)."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Queryable

# ---------------------------------------------------------------------- mediations


@dataclass(frozen=True)
class Mediation:
    """The mediation record of a settled dispute."""

    case_id: int
    mediator_id: int
    parties: str
    facts: str
    agreement: str
    fulfilment: str
    recorded_at: str
    revisit_at: str
    revisit_sent: bool


_MEDIATION = (
    "case_id, mediator_id, parties, facts, agreement, fulfilment, recorded_at, revisit_at,"
    " revisit_sent"
)


async def save_mediation(q: Queryable, m: Mediation) -> None:
    """Store (or replace, when a reopened dispute is settled again) a mediation record."""
    await q.execute(
        f"INSERT OR REPLACE INTO mediations ({_MEDIATION}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            m.case_id,
            m.mediator_id,
            m.parties,
            m.facts,
            m.agreement,
            m.fulfilment,
            m.recorded_at,
            m.revisit_at,
            int(m.revisit_sent),
        ),
    )


async def mediation(q: Queryable, case_id: int) -> Mediation | None:
    """The mediation record of a case, or None."""
    row = await q.fetchone(f"SELECT {_MEDIATION} FROM mediations WHERE case_id = ?", (case_id,))
    if row is None:
        return None
    values = dict(row)
    values["revisit_sent"] = bool(values["revisit_sent"])
    return Mediation(**values)


async def revisits_due(q: Queryable, now: str, limit: int = 200) -> list[Mediation]:
    """Mediations whose follow-up visit is due and not yet reminded."""
    rows = await q.fetchall(
        f"SELECT {_MEDIATION} FROM mediations WHERE revisit_sent = 0 AND revisit_at <= ?"
        " ORDER BY revisit_at LIMIT ?",
        (now, limit),
    )
    return [Mediation(**{**dict(r), "revisit_sent": bool(r["revisit_sent"])}) for r in rows]


async def mark_revisit_sent(q: Queryable, case_id: int) -> None:
    """Note that the mediator was reminded to visit again."""
    await q.execute("UPDATE mediations SET revisit_sent = 1 WHERE case_id = ?", (case_id,))
