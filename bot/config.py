"""The configuration file: its keys, their defaults, and the checks on load.

The schema is the dataclasses below: a nested dataclass is a TOML table, every other
field is a key. Loading refuses unknown keys, wrong types and bad values with a
:class:`ConfigError` that names the key, so an operator sees one clear line.
``config.example.toml`` documents every key; a test keeps the two in step.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TOKEN_ENV = "GRIDBOT_TOKEN"
LANGUAGES = ("zh-CN", "en")
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(Exception):
    """A problem with the configuration, naming the key it concerns."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}" if key else problem)
        self.key = key
        self.problem = problem


def _choice(*allowed: str) -> dict[str, Any]:
    return {"choices": allowed}


def _pattern(regex: str, words: str) -> dict[str, Any]:
    # The words are what an operator reads when a value does not fit; the regex stays inside.
    return {"pattern": regex, "pattern_words": words}


@dataclass(frozen=True)
class WebhookConfig:
    """Where Telegram posts updates in webhook mode."""

    listen: str = "127.0.0.1"
    port: int = field(default=8443, metadata={"min": 1, "max": 65535})
    url: str = ""
    secret_token: str = ""


@dataclass(frozen=True)
class TelegramConfig:
    """How the bot reaches Telegram."""

    token: str = ""
    # The bot's @username without the @, for invite links printed by the CLI.
    username: str = field(
        default="",
        metadata=_pattern(
            r"^([A-Za-z][A-Za-z0-9_]{3,31})?$",
            "a bot username without the @: 4-32 letters, digits or _, starting with a letter",
        ),
    )
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    mode: str = field(default="polling", metadata=_choice("polling", "webhook"))
    webhook: WebhookConfig = field(default_factory=WebhookConfig)


@dataclass(frozen=True)
class DatabaseConfig:
    """The SQLite file."""

    # A relative path is taken from the folder of the config file.
    path: str = "gridbot.sqlite3"
    busy_timeout_ms: int = field(default=5000, metadata={"min": 0, "max": 600_000})


@dataclass(frozen=True)
class LocaleConfig:
    """Time and language."""

    timezone: str = "Asia/Shanghai"
    default_language: str = field(default="zh-CN", metadata=_choice(*LANGUAGES))


@dataclass(frozen=True)
class GridConfig:
    """The district this bot serves."""

    # Prefix of case numbers (YH-20260613-0012) and work ID numbers (YH-2026-00001).
    code: str = field(
        default="YH", metadata=_pattern(r"^[A-Z]{1,6}$", "1 to 6 capital letters, like YH")
    )


@dataclass(frozen=True)
class InvitesConfig:
    """Invite codes."""

    ttl_days: int = field(default=14, metadata={"min": 1, "max": 365})


@dataclass(frozen=True)
class ReportsConfig:
    """Reporting a case (/report)."""

    description_max_chars: int = field(default=1000, metadata={"min": 50, "max": 3500})
    max_photos: int = field(default=5, metadata={"min": 0, "max": 10})
    # A draft left alone this long ends, with a message saying so.
    draft_timeout_minutes: int = field(default=30, metadata={"min": 1, "max": 1440})


@dataclass(frozen=True)
class StageLimits:
    """Minutes allowed for each stage of a case (督办 when exceeded)."""

    accept_minutes: int = field(default=30, metadata={"min": 1})
    resolve_minutes: int = field(default=4320, metadata={"min": 1})
    verify_minutes: int = field(default=1440, metadata={"min": 1})


@dataclass(frozen=True)
class DisputeSla:
    """Time limits of dispute cases (mediation takes longer)."""

    normal: StageLimits = field(default_factory=lambda: StageLimits(30, 7 * 1440, 1440))
    urgent: StageLimits = field(default_factory=lambda: StageLimits(10, 1440, 240))


@dataclass(frozen=True)
class SanitationSla:
    """Time limits of sanitation cases."""

    normal: StageLimits = field(default_factory=lambda: StageLimits(30, 2 * 1440, 1440))
    urgent: StageLimits = field(default_factory=lambda: StageLimits(10, 240, 120))


@dataclass(frozen=True)
class SafetySla:
    """Time limits of safety cases."""

    normal: StageLimits = field(default_factory=lambda: StageLimits(30, 1440, 1440))
    urgent: StageLimits = field(default_factory=lambda: StageLimits(10, 120, 120))


@dataclass(frozen=True)
class HealthSla:
    """Time limits of public-health cases."""

    normal: StageLimits = field(default_factory=lambda: StageLimits(30, 1440, 1440))
    urgent: StageLimits = field(default_factory=lambda: StageLimits(10, 60, 60))


@dataclass(frozen=True)
class OpinionSla:
    """Time limits of residents' opinions."""

    normal: StageLimits = field(default_factory=lambda: StageLimits(30, 7 * 1440, 1440))
    urgent: StageLimits = field(default_factory=lambda: StageLimits(10, 2 * 1440, 240))


@dataclass(frozen=True)
class SlaConfig:
    """Time limits per category and urgency, in minutes."""

    dispute: DisputeSla = field(default_factory=DisputeSla)
    sanitation: SanitationSla = field(default_factory=SanitationSla)
    safety: SafetySla = field(default_factory=SafetySla)
    health: HealthSla = field(default_factory=HealthSla)
    opinion: OpinionSla = field(default_factory=OpinionSla)

    def limits(self, category: str, urgent: bool) -> StageLimits:
        """The limits of one category and urgency."""
        per_category = getattr(self, category)
        return per_category.urgent if urgent else per_category.normal  # type: ignore[no-any-return]


@dataclass(frozen=True)
class CasesConfig:
    """How cases move on by themselves."""

    # A resolved case the reporter neither confirms nor reopens closes after this many days.
    auto_close_days: int = field(default=3, metadata={"min": 1, "max": 60})
    # The mediator of a settled dispute is reminded to visit again (回访) after this many days.
    revisit_days: int = field(default=30, metadata={"min": 1, "max": 365})
    # How often the sweep for overdue cases runs.
    sweep_seconds: int = field(default=60, metadata={"min": 5, "max": 3600})
    # An assignee (承办人) is reminded this many minutes before the case's limit (/todo).
    todo_reminder_minutes: int = field(default=60, metadata={"min": 1, "max": 10080})


@dataclass(frozen=True)
class DeliveryConfig:
    """Sending what is in the outbox (alerts, reminders, notices)."""

    # Tries before a message is marked failed and shown to the operator.
    max_attempts: int = field(default=10, metadata={"min": 1, "max": 100})
    # Wait after the first failure; it doubles with each further failure, up to the maximum.
    backoff_seconds: int = field(default=5, metadata={"min": 1, "max": 3600})
    max_backoff_seconds: int = field(default=1800, metadata={"min": 1, "max": 86400})
    # How often the outbox is looked at for messages that are due.
    poll_seconds: int = field(default=2, metadata={"min": 1, "max": 300})
    # Sent messages are deleted from the outbox after this many days (0: kept for ever).
    keep_sent_days: int = field(default=30, metadata={"min": 0, "max": 36500})


@dataclass(frozen=True)
class MeetingsConfig:
    """Meetings (例会) and duty shifts."""

    # Default reminders before a meeting, in minutes (one day and one hour).
    reminder_minutes: list[int] = field(
        default_factory=lambda: [1440, 60], metadata={"min": 1, "max": 43200}
    )
    # After downtime, a reminder this late is still sent; an older one is skipped and logged.
    grace_minutes: int = field(default=30, metadata={"min": 0, "max": 1440})
    # Members are reminded this long before their shift.
    shift_reminder_minutes: int = field(default=60, metadata={"min": 1, "max": 1440})
    # A shift with nobody signed up this long before it starts is reported to the admin.
    unstaffed_alert_minutes: int = field(default=720, metadata={"min": 1, "max": 10080})


@dataclass(frozen=True)
class DigestConfig:
    """The daily digest of cases for each admin."""

    enabled: bool = True
    # Local time of day, HH:MM, in locale.timezone.
    time: str = field(
        default="08:00",
        metadata=_pattern(r"^([01]\d|2[0-3]):[0-5]\d$", "a time of day like 08:00 (00:00-23:59)"),
    )
    # Sent only within this many minutes after ``time`` (a bot started later waits a day).
    # At least 5: the digest sweep runs once a minute and must fall inside the window.
    grace_minutes: int = field(default=30, metadata={"min": 5, "max": 720})


@dataclass(frozen=True)
class NoticesConfig:
    """Notices sent down the grid (/notice)."""

    # Send with allow_paid_broadcast at up to 1000 messages a second instead of 30.
    # Telegram charges Telegram Stars for every message above the free 30 a second.
    paid_broadcast: bool = False
    # Those who have not confirmed are reminded this many hours before the deadline
    # (once); the author is told who has not. 0: no reminder.
    reminder_hours: int = field(default=24, metadata={"min": 0, "max": 720})
    # How often, in seconds, the admin's progress message is brought up to date.
    progress_seconds: float = field(default=3.0, metadata={"min": 0.5, "max": 60})
    # Asking once more before sending to more recipients than this.
    confirm_above: int = field(default=500, metadata={"min": 1, "max": 1_000_000})


@dataclass(frozen=True)
class StatsConfig:
    """Evaluation (/stats): the weights of the combined score that ranks areas (红黑榜)."""

    # Each rate (0-100 %) counts with its weight; the score is the weighted mean.
    response_weight: int = field(default=30, metadata={"min": 0, "max": 100})  # 响应率
    resolution_weight: int = field(default=35, metadata={"min": 0, "max": 100})  # 解决率
    satisfaction_weight: int = field(default=35, metadata={"min": 0, "max": 100})  # 满意率


@dataclass(frozen=True)
class LoggingConfig:
    """What the bot writes to its log."""

    level: str = field(default="INFO", metadata=_choice("DEBUG", "INFO", "WARNING", "ERROR"))


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    locale: LocaleConfig = field(default_factory=LocaleConfig)
    grid: GridConfig = field(default_factory=GridConfig)
    invites: InvitesConfig = field(default_factory=InvitesConfig)
    reports: ReportsConfig = field(default_factory=ReportsConfig)
    sla: SlaConfig = field(default_factory=SlaConfig)
    cases: CasesConfig = field(default_factory=CasesConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    meetings: MeetingsConfig = field(default_factory=MeetingsConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    notices: NoticesConfig = field(default_factory=NoticesConfig)
    stats: StatsConfig = field(default_factory=StatsConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)

    @property
    def tz(self) -> ZoneInfo:
        """The configured timezone."""
        return ZoneInfo(self.locale.timezone)

    def replace(self, **changes: Any) -> Config:
        """A copy with dotted keys changed: ``cfg.replace(**{"database.path": "x"})``."""
        data = dataclasses.asdict(self)
        for dotted, value in changes.items():
            table = data
            *parents, last = dotted.split(".")
            for part in parents:
                table = table[part]
            table[last] = value
        built: Config = _build(Config, data, "")
        return built


def load_config(
    path: str | Path | None,
    *,
    need_token: bool = False,
    environ: typing.Mapping[str, str] | None = None,
) -> Config:
    """Read and check a config file (None: defaults only).

    A relative ``database.path`` is relative to the folder of the file. The token comes
    from ``GRIDBOT_TOKEN`` when that is set, else from the file.
    Raises :class:`ConfigError` naming the key at fault.
    """
    env = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    if path is not None:
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("", f"{file}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError("", f"{file}: cannot be read ({exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError("", f"{file}: not valid TOML ({exc})") from None
    config: Config = _build(Config, data, "")
    if path is not None:
        config = _beside(config, Path(path).parent)
    token = env.get(TOKEN_ENV, "").strip()
    if token:
        config = dataclasses.replace(
            config, telegram=dataclasses.replace(config.telegram, token=token)
        )
    _check(config, need_token=need_token)
    return config


def _beside(config: Config, folder: Path) -> Config:
    """``config`` with a relative ``database.path`` taken from ``folder`` (the config file's).

    So ``backup --config /srv/gridbot/config.toml`` finds the bot's database wherever it is
    run from, rather than a new empty one in the working directory.
    """
    db_path = config.database.path
    if db_path == ":memory:" or Path(db_path).is_absolute():
        return config
    return dataclasses.replace(
        config, database=dataclasses.replace(config.database, path=str(folder / db_path))
    )


def _build(cls: type[Any], data: dict[str, Any], prefix: str, base: Any = None) -> Any:
    """An instance of ``cls`` from ``data``, keys not given taken from ``base`` or defaults."""
    if not isinstance(data, dict):
        raise ConfigError(prefix.rstrip("."), "must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in known:
            raise ConfigError(f"{prefix}{key}", "unknown key")
    values: dict[str, Any] = {}
    for name, spec in known.items():
        key = f"{prefix}{name}"
        kind = hints[name]
        if dataclasses.is_dataclass(kind):
            if base is not None:
                nested_base = getattr(base, name)
            elif spec.default_factory is not dataclasses.MISSING:
                nested_base = spec.default_factory()
            else:
                nested_base = None
            values[name] = _build(
                typing.cast(type[Any], kind), data.get(name, {}), f"{key}.", nested_base
            )
            continue
        if name in data:
            values[name] = _check_value(key, data[name], kind, spec.metadata)
        elif base is not None:
            values[name] = getattr(base, name)
    return cls(**values)


def _type_name(kind: Any) -> str:
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}.get(
        kind, str(kind)
    )


def _check_value(key: str, value: Any, kind: Any, meta: typing.Mapping[str, Any]) -> Any:
    origin = typing.get_origin(kind)
    if origin in (list, tuple):
        (item,) = typing.get_args(kind)[:1]
        if not isinstance(value, list):
            raise ConfigError(key, f"must be a list, not {value!r}")
        return [_check_value(f"{key}[{i}]", v, item, meta) for i, v in enumerate(value)]
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(key, "unsupported type in schema")
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise ConfigError(key, f"must be {_type_name(kind)}, not {value!r}")
    if "choices" in meta and value not in meta["choices"]:
        allowed = ", ".join(f'"{c}"' for c in meta["choices"])
        raise ConfigError(key, f"must be one of {allowed}, not {value!r}")
    if "min" in meta and value < meta["min"]:
        raise ConfigError(key, f"must be at least {meta['min']}, not {value!r}")
    if "max" in meta and value > meta["max"]:
        raise ConfigError(key, f"must be at most {meta['max']}, not {value!r}")
    if "pattern" in meta and not re.match(meta["pattern"], value):
        words = meta.get("pattern_words", f"of the form {meta['pattern']}")
        raise ConfigError(key, f"must be {words}, not {value!r}")
    return value


def _check(config: Config, *, need_token: bool) -> None:
    try:
        ZoneInfo(config.locale.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "locale.timezone", f"unknown timezone {config.locale.timezone!r}"
        ) from None
    token = config.telegram.token
    if need_token and not token:
        raise ConfigError("telegram.token", f"missing: set it in the file or in {TOKEN_ENV}")
    if token and not _TOKEN.match(token):
        raise ConfigError("telegram.token", "does not look like a bot token (123456:ABC...)")
    weights = config.stats
    if weights.response_weight + weights.resolution_weight + weights.satisfaction_weight == 0:
        raise ConfigError("stats.response_weight", "the three weights cannot all be 0")
    if config.telegram.mode == "webhook":
        hook = config.telegram.webhook
        if not hook.url.startswith("https://"):
            raise ConfigError("telegram.webhook.url", "webhook mode needs a public https:// URL")
        if not _SECRET.match(hook.secret_token):
            raise ConfigError(
                "telegram.webhook.secret_token",
                "webhook mode needs 1-256 characters of A-Z, a-z, 0-9, _ and -",
            )


def schema_keys(cls: type[Any] = Config, prefix: str = "") -> list[str]:
    """Every dotted key the configuration knows (for docs and their test)."""
    keys: list[str] = []
    hints = typing.get_type_hints(cls)
    for spec in dataclasses.fields(cls):
        kind = hints[spec.name]
        if dataclasses.is_dataclass(kind):
            keys.extend(schema_keys(typing.cast(type[Any], kind), f"{prefix}{spec.name}."))
        else:
            keys.append(f"{prefix}{spec.name}")
    return keys
