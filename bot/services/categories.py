"""The six duties (六员) and the kinds of case they report.

Five duties report cases; the sixth, policy outreach (政策宣讲), is logged as duty
work, not as a case. Each case category has a short list of kinds, so a leader
picks with a button instead of typing. Names live in the catalogues under
``category.<key>`` and ``subcategory.<category>.<kind>``.

Some kinds belong to a city or to a village only (a stairwell, a property company; a
yard): :func:`offered_kinds` lists those that fit the reporter's kind of area. Every
kind stays in :data:`SUBCATEGORIES` and the catalogues, so a stored case keeps its name.
"""

from __future__ import annotations

from enum import StrEnum

from bot.services.grid import AreaKind


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
    Category.SAFETY: ("ebike", "ebike_yard", "fire_exit", "security", "facilities", "other"),
    Category.HEALTH: ("checkpoint", "health_event", "other"),
    Category.OPINION: ("livelihood", "facilities", "property", "environment", "policy", "other"),
}


class Setting(StrEnum):
    """Where a kind of case is met: in a city (楼栋/社区/街道) or a village (村民小组/村/镇)."""

    URBAN = "urban"
    RURAL = "rural"


# Kinds met in one setting only; every other kind is offered everywhere.
ONLY_IN: dict[tuple[Category, str], Setting] = {
    (Category.DISPUTE, "property"): Setting.URBAN,  # 物业纠纷: a village has no property company
    (Category.SANITATION, "stairwell"): Setting.URBAN,  # 楼道堆物
    (Category.SAFETY, "ebike"): Setting.URBAN,  # 楼道电动车充电
    (Category.SAFETY, "ebike_yard"): Setting.RURAL,  # 院内电动车充电 (飞线充电 in a yard)
    (Category.OPINION, "property"): Setting.URBAN,  # 物业服务
}

# The setting of each kind of area below the district.
SETTING_OF_AREA: dict[str, Setting] = {
    AreaKind.BUILDING: Setting.URBAN,
    AreaKind.UNIT: Setting.URBAN,
    AreaKind.COMMUNITY: Setting.URBAN,
    AreaKind.STREET: Setting.URBAN,
    AreaKind.GROUP: Setting.RURAL,
    AreaKind.VILLAGE: Setting.RURAL,
    AreaKind.TOWN: Setting.RURAL,
}


def setting_of(area_kind: str | None) -> Setting | None:
    """The setting of an area kind; None for one that is neither (the district)."""
    return SETTING_OF_AREA.get(area_kind or "")


def offered_kinds(category: str, area_kind: str | None) -> tuple[str, ...]:
    """The kinds of ``category`` a reporter in an area of ``area_kind`` is offered.

    A kind marked for one setting is left out in the other; where the setting is not
    known (the district, say) every kind is offered. Unknown category: none.
    """
    try:
        cat = Category(category)
    except ValueError:
        return ()
    setting = setting_of(area_kind)
    return tuple(
        kind
        for kind in SUBCATEGORIES[cat]
        if setting is None or ONLY_IN.get((cat, kind), setting) is setting
    )


def is_subcategory(category: str, subcategory: str) -> bool:
    """Whether ``subcategory`` is one of ``category``'s kinds."""
    try:
        return subcategory in SUBCATEGORIES[Category(category)]
    except ValueError:
        return False
