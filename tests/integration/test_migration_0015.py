"""Migration 0015 carries data: petitions' free-text village is linked to the village unit of
that name below the petition's township (SQLite and PostgreSQL); other villages stay unlinked."""
from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from engine.schema import alembic_config


def test_villages_are_linked_where_names_match(scratch, backend):
    url = scratch.create(backend, demo=False)
    cfg = alembic_config()
    cfg.attributes["url"] = url
    command.downgrade(cfg, "0014a")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO units (id, code, name, kind, parent_id, path, active) VALUES "
            "(901, 't1', '甲镇', 'township', NULL, '/901/', true),"
            "(902, 'v1', '东村', 'village', 901, '/901/902/', true),"
            "(903, 't2', '乙镇', 'township', NULL, '/903/', true),"
            "(904, 'v2', '东村', 'village', 903, '/903/904/', true)"))
        conn.execute(text(
            "INSERT INTO users (id, username, display_name, unit_id, active, created_at) "
            "VALUES (901, 'm', '', 901, true, '2026-01-05 01:00:00')"))
        for pid, town, village in ((1, 901, '东村'), (2, 901, '东'), (3, 901, '西村'),
                                   (4, 903, '东村')):
            conn.execute(text(
                "INSERT INTO petitions (id, number, channel, received_at, registered_at, "
                "registered_by_id, unit_id, anonymous, township_id, village, category, content, "
                "status, sealed, updated_at) VALUES (:id, :n, 'letter', '2026-01-05 01:00:00', "
                "'2026-01-05 01:00:00', 901, 901, true, :t, :v, 'other', '', 'registered', "
                "false, '2026-01-05 01:00:00')"), {"id": pid, "n": f"p-{pid}", "t": town, "v": village})
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        got = dict(conn.execute(text("SELECT id, village_unit_id FROM petitions")).all())
    engine.dispose()
    assert got == {1: 902, 2: 902, 3: None, 4: 904}
