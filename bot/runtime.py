"""What every part of the running bot shares: the config, the database and the clock."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.config import Config
from storage.db import Database, Statement

# A write a handler leaves to go with its update's save (GridContext.write_with_update).
Write = Statement


@dataclass
class Runtime:
    """The running bot's shared parts, made once by the composition root."""

    config: Config
    db: Database
    clock: Clock
