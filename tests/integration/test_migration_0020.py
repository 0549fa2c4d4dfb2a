"""Migration 0020 creates the repeat check's alias table with its seed (SQLite and PostgreSQL);
downgrading drops it, upgrading again seeds it again."""
from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, text

from engine.petitions.words import DEFAULT_ALIASES
from engine.schema import alembic_config


def test_the_alias_table_is_created_seeded_and_dropped(scratch, backend):
    url = scratch.create(backend, demo=False)
    cfg = alembic_config()
    cfg.attributes["url"] = url
    engine = create_engine(url)
    with engine.connect() as conn:
        seeded = set(conn.execute(text("SELECT kind, alias, canonical FROM repeat_aliases")))
    assert seeded == set(DEFAULT_ALIASES) and ("kinship", "小舅子", "妻弟") in seeded
    command.downgrade(cfg, "0019")
    assert "repeat_aliases" not in inspect(engine).get_table_names()
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM repeat_aliases")).scalar() == len(seeded)
    engine.dispose()
