"""Migration 0021 carries data: existing petitions, cases and clues get a display number built
from their coded number (the unit's name, the year, the gap-free sequence) on SQLite and
PostgreSQL; a number of another form keeps none."""
from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from engine.schema import alembic_config

AT = "2026-01-05 01:00:00"


def test_existing_records_are_numbered(scratch, backend):
    url = scratch.create(backend, demo=False)
    cfg = alembic_config()
    cfg.attributes["url"] = url
    command.downgrade(cfg, "0013")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO units (id, code, name, kind, parent_id, path, active) "
                          "VALUES (901, 'town-x', '甲镇纪委', 'township', NULL, '/901/', true)"))
        conn.execute(text("INSERT INTO users (id, username, display_name, unit_id, active, "
                          "created_at) VALUES (901, 'm', '', 901, true, :at)"), {"at": AT})
        for cid, number in ((1, "town-x-2026-C000001"), (2, "town-x-2026-C000002")):
            conn.execute(text("INSERT INTO cases (id, number, status, process_key, "
                              "registered_unit_id, created_at, people_disciplined) VALUES "
                              "(:i, :n, 'open', 'petition_intake', 901, :at, 0)"),
                         {"i": cid, "n": number, "at": AT})
        for pid, number in ((1, "town-x-2026-000007"), (2, "legacy-7")):
            conn.execute(text(
                "INSERT INTO petitions (id, number, channel, received_at, registered_at, "
                "registered_by_id, unit_id, anonymous, village, category, content, status, "
                "sealed, updated_at) VALUES (:i, :n, 'letter', :at, :at, 901, 901, true, '', "
                "'other', '', 'registered', false, :at)"), {"i": pid, "n": number, "at": AT})
        conn.execute(text(
            "INSERT INTO clues (id, number, case_id, source, status, unit_id, accused_name, "
            "accused_post, accused_unit, accused_level, summary, disposition_reason, "
            "closed_reason, key_verification, created_at, updated_at) VALUES (1, "
            "'town-x-2026-L000012', 1, 'petition', 'pending', 901, '', '', '', 'other', '', "
            "'', '', false, :at, :at)"), {"at": AT})
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        cases = dict(conn.execute(text("SELECT id, display_number FROM cases")).all())
        petitions = dict(conn.execute(text("SELECT id, display_number FROM petitions")).all())
        clues = dict(conn.execute(text("SELECT id, display_number FROM clues")).all())
    engine.dispose()
    assert cases == {1: "甲镇纪委〔2026〕案件1号", 2: "甲镇纪委〔2026〕案件2号"}
    assert petitions == {1: "甲镇纪委〔2026〕信访7号", 2: None}
    assert clues == {1: "甲镇纪委〔2026〕线索12号"}
