"""Create or upgrade the database schema with Alembic (the only way the schema is made)."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from engine.config import ROOT


def alembic_config() -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return cfg


def upgrade(*, url: str | None = None, connection: Connection | None = None,
            revision: str = "head") -> None:
    """Run every migration up to head (idempotent); `revision` stops earlier (upgrade tests)."""
    cfg = alembic_config()
    if connection is not None:
        cfg.attributes["connection"] = connection
    if url is not None:
        cfg.attributes["url"] = url
    command.upgrade(cfg, revision)
