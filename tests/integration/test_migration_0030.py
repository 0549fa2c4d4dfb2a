"""Migration 0030 adds alias rows to the repeat check's table (keeping an administrator's own
spelling of one) and rewrites every petition's keys (the place key; "小王" is the surname 王),
on SQLite and PostgreSQL; downgrading removes the rows it added."""
from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from engine.petitions.similarity import PetitionFeatures, index_keys
from engine.schema import alembic_config


def test_aliases_added_and_nickname_keys_rewritten(scratch, backend):
    url = scratch.create(backend)
    cfg = alembic_config()
    cfg.attributes["url"] = url
    engine = create_engine(url)
    command.downgrade(cfg, "0029")
    with engine.begin() as conn:
        aliases = set(conn.execute(text("SELECT alias FROM repeat_aliases")))
        assert ("文书",) not in aliases and ("抽沙",) not in aliases
        assert ("小舅子",) in aliases  # 0020's rows stay
        # An administrator's own reading of a word 0030 would add: kept as it is.
        conn.execute(text("INSERT INTO repeat_aliases (kind, alias, canonical) "
                          "VALUES ('phrase', '打牌', '打扑克')"))
        # A petition about "小王" keyed by the old reading (surname 小, full name 小王).
        clerk, unit = conn.execute(text("SELECT id, unit_id FROM users ORDER BY id")).first()
        township = conn.execute(text("SELECT id FROM units WHERE code = 'town-a'")).scalar()
        conn.execute(text(
            "INSERT INTO petitions (id, number, channel, received_at, registered_at, "
            "registered_by_id, unit_id, anonymous, township_id, village, category, content, "
            "status, sealed, updated_at) VALUES (9002, 'OLD-2', 'letter', :t, :t, :c, :u, "
            ":f, :town, '高岭村', 'other', '高岭村管医保的小王收了医保钱没交。', 'registered', "
            ":f, :t)"),
            {"t": "2026-01-05 09:00:00", "c": clerk, "u": unit, "town": township, "f": False})
        conn.execute(text("INSERT INTO accused_persons (petition_id, name, post, unit, level) "
                          "VALUES (9002, '小王', '文书', '高岭村', 'village')"))
        for key in ("s|高岭|小", "n|小王", "p|高岭|文书"):
            conn.execute(text("INSERT INTO repeat_keys (key, petition_id) VALUES (:k, 9002)"),
                         {"k": key})
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        rows = set(conn.execute(text("SELECT kind, alias, canonical FROM repeat_aliases")))
        stored = {k for (k,) in conn.execute(text(
            "SELECT key FROM repeat_keys WHERE petition_id = 9002"))}
        # Every petition is keyed by its place now (the demo data's too).
        unkeyed = conn.execute(text(
            "SELECT count(*) FROM petitions p WHERE (p.village <> '' OR p.township_id IS NOT "
            "NULL) AND NOT EXISTS (SELECT 1 FROM repeat_keys k WHERE k.petition_id = p.id "
            "AND k.key LIKE 'v|%')")).scalar()
    assert unkeyed == 0
    assert {("post", "文书", "村文书"), ("phrase", "抽沙", "采砂"),
            ("phrase", "领钱", "套取"), ("phrase", "套取", "套取")} <= rows
    assert ("phrase", "打牌", "打扑克") in rows and ("phrase", "打牌", "赌博") not in rows
    # (The keys as the code writes them now: 0034 adds the township's, "ts|" and "tp|".)
    assert stored == {"v|高岭", "s|高岭|王", "p|高岭|文书", "ts|towna|王",
                      "tp|towna|文书"} == index_keys(PetitionFeatures(
        petition_id=9002, accused=[{"name": "小王", "post": "文书", "unit": "高岭村"}],
        township="town-a", village="高岭村"))
    command.downgrade(cfg, "0029")
    with engine.connect() as conn:
        rows = set(conn.execute(text("SELECT kind, alias, canonical FROM repeat_aliases")))
    assert ("post", "文书", "村文书") not in rows and ("phrase", "领钱", "套取") not in rows
    assert ("phrase", "套取", "套取") in rows and ("phrase", "打牌", "打扑克") in rows
    command.upgrade(cfg, "head")
    engine.dispose()
