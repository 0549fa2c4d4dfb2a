"""Migration 0023 creates the repeat check's key table and fills it for the petitions already
there (SQLite and PostgreSQL): the keys equal what registration writes; downgrading drops the
table, upgrading again fills it again."""
from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, text

from engine.petitions.similarity import PetitionFeatures, index_keys
from engine.schema import alembic_config


def _expected(conn) -> set[tuple[str, int]]:
    accused: dict[int, list[dict]] = {}
    for pid, name, post, unit in conn.execute(text(
            "SELECT petition_id, name, post, unit FROM accused_persons ORDER BY id")):
        accused.setdefault(pid, []).append({"name": name, "post": post, "unit": unit})
    out = set()
    for pid, village, township in conn.execute(text(
            "SELECT p.id, p.village, u.code FROM petitions p "
            "LEFT JOIN units u ON u.id = p.township_id")):
        out |= {(key, pid) for key in index_keys(PetitionFeatures(
            petition_id=pid, accused=accused.get(pid, []), township=township or "",
            village=village or ""))}
    return out


def test_the_key_table_is_filled_for_existing_petitions_and_dropped(scratch, backend):
    url = scratch.create(backend)
    cfg = alembic_config()
    cfg.attributes["url"] = url
    engine = create_engine(url)
    command.downgrade(cfg, "0013")
    assert "repeat_keys" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        # A petition registered before this migration existed (no keys written for it).
        clerk, unit = conn.execute(text("SELECT id, unit_id FROM users ORDER BY id")).first()
        township = conn.execute(text("SELECT id FROM units WHERE code = 'town-a'")).scalar()
        conn.execute(text(
            "INSERT INTO petitions (id, number, channel, received_at, registered_at, "
            "registered_by_id, unit_id, anonymous, township_id, village, category, content, "
            "status, sealed, updated_at) VALUES (9001, 'OLD-1', 'letter', :t, :t, :c, :u, "
            ":f, :town, '红旗村', 'other', '红旗村村长张建国挪用集体资金。', 'registered', :f, :t)"),
            {"t": "2026-01-05 09:00:00", "c": clerk, "u": unit, "town": township, "f": False})
        conn.execute(text("INSERT INTO accused_persons (petition_id, name, post, unit, level) "
                          "VALUES (9001, '张建国', '村长', '红旗村委会', 'village')"))
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        stored = set(conn.execute(text("SELECT key, petition_id FROM repeat_keys")))
        expected = _expected(conn)
    assert stored == expected
    assert {("s|红旗|张", 9001), ("p|红旗|村长", 9001), ("n|张建国", 9001)} <= stored
    engine.dispose()
