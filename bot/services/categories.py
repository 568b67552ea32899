"""The six duties (六员) and the kinds of case they report.

Five duties report cases; the sixth, policy outreach (政策宣讲), is logged as duty
work, not as a case. Each case category has a short list of kinds, so a leader
picks with a button instead of typing. Names live in the catalogues under
``category.<key>`` and ``subcategory.<category>.<kind>``.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """A kind of case, by the duty that reports it."""

    DISPUTE = "dispute"  # 矛盾纠纷调解员
    SANITATION = "sanitation"  # 环境卫生监督员
    SAFETY = "safety"  # 平安稳定巡逻员
    HEALTH = "health"  # 疫情防控协管员
    OPINION = "opinion"  # 社情民意信息员


SUBCATEGORIES: dict[Category, tuple[str, ...]] = {
    Category.DISPUTE: ("neighbours", "family", "property", "other"),
    Category.SANITATION: ("garbage", "dumping", "sewage", "stairwell", "pests", "other"),
    Category.SAFETY: ("ebike", "fire_exit", "security", "facilities", "other"),
    Category.HEALTH: ("checkpoint", "health_event", "other"),
    Category.OPINION: ("livelihood", "facilities", "property", "environment", "policy", "other"),
}


def is_subcategory(category: str, subcategory: str) -> bool:
    """Whether ``subcategory`` is one of ``category``'s kinds."""
    try:
        return subcategory in SUBCATEGORIES[Category(category)]
    except ValueError:
        return False
