"""Migration 0034 adds the everyday post words (and posts, kinship paths) to the repeat check's
alias table, keeping an administrator's own reading of one, and rewrites every petition's keys
(the surname and post in the township; "钱头儿" is the surname 钱), on SQLite and PostgreSQL;
downgrading removes the rows it added and the township keys."""
from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from engine.petitions.similarity import PetitionFeatures, index_keys
from engine.schema import alembic_config


def test_everyday_words_added_and_township_keys_written(scratch, backend):
    url = scratch.create(backend)
    cfg = alembic_config()
    cfg.attributes["url"] = url
    engine = create_engine(url)
    command.downgrade(cfg, "0033")
    with engine.begin() as conn:
        aliases = {a for (a,) in conn.execute(text("SELECT alias FROM repeat_aliases"))}
        assert "管账" not in aliases and "社保专干" not in aliases and "文书" in aliases
        # An administrator's own reading of a word 0034 would add: kept as it is.
        conn.execute(text("INSERT INTO repeat_aliases (kind, alias, canonical) "
                          "VALUES ('post', '管钱', '出纳')"))
        # A petition about "钱头儿" keyed by the old reading (a full name "钱头儿").
        clerk, unit = conn.execute(text("SELECT id, unit_id FROM users ORDER BY id")).first()
        township = conn.execute(text("SELECT id FROM units WHERE code = 'town-d'")).scalar()
        conn.execute(text(
            "INSERT INTO petitions (id, number, channel, received_at, registered_at, "
            "registered_by_id, unit_id, anonymous, township_id, village, category, content, "
            "status, sealed, updated_at) VALUES (9003, 'OLD-3', 'letter', :t, :t, :c, :u, "
            ":f, :town, '金鸡村', 'other', '钱头儿把扶贫的黄牛分给自家人养了。', 'registered', "
            ":f, :t)"),
            {"t": "2026-01-05 09:00:00", "c": clerk, "u": unit, "town": township, "f": False})
        conn.execute(text("INSERT INTO accused_persons (petition_id, name, post, unit, level) "
                          "VALUES (9003, '钱头儿', '', '金鸡村', 'village')"))
        for key in ("v|金鸡", "s|金鸡|钱", "n|钱头儿", "n|头儿", "n|钱儿", "n|钱头"):
            conn.execute(text("INSERT INTO repeat_keys (key, petition_id) VALUES (:k, 9003)"),
                         {"k": key})
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        rows = set(conn.execute(text("SELECT kind, alias, canonical FROM repeat_aliases")))
        stored = {k for (k,) in conn.execute(text(
            "SELECT key FROM repeat_keys WHERE petition_id = 9003"))}
        township_keys = conn.execute(text(
            "SELECT count(*) FROM repeat_keys WHERE key LIKE 'ts|%' OR key LIKE 'tp|%'")).scalar()
    assert {("everyday", "管账", "村会计"), ("everyday", "社保", "社保专干"),
            ("post", "社保专干", "社保专干"), ("kinship", "姐姐的儿子", "外甥")} <= rows
    assert ("post", "管钱", "出纳") in rows and ("everyday", "管钱", "村会计") not in rows
    assert stored == {"v|金鸡", "s|金鸡|钱", "ts|townd|钱"} == index_keys(PetitionFeatures(
        petition_id=9003, accused=[{"name": "钱头儿", "post": "", "unit": "金鸡村"}],
        township="town-d", village="金鸡村"))
    command.downgrade(cfg, "0033")
    with engine.connect() as conn:
        rows = set(conn.execute(text("SELECT kind, alias, canonical FROM repeat_aliases")))
        left = conn.execute(text(
            "SELECT count(*) FROM repeat_keys WHERE key LIKE 'ts|%' OR key LIKE 'tp|%'")).scalar()
    assert ("everyday", "管账", "村会计") not in rows and ("post", "社保专干", "社保专干") not in rows
    assert ("post", "管钱", "出纳") in rows and ("post", "文书", "村文书") in rows
    assert left == 0 and township_keys > 0
    command.upgrade(cfg, "head")
    engine.dispose()
