"""Migration 0037 adds the township offices' errands and two offices to the repeat check's alias
table, keeping an administrator's own reading of one, and rewrites every petition's keys with the
township office as a candidate key ("己镇财政所"'s 出纳 is stored under o|townf|财政专干) and villages
keyed without group or township, on SQLite and PostgreSQL; the petitions and their accused are
carried as they were. Downgrading removes the rows it added and the office keys."""
from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from engine.petitions.similarity import PetitionFeatures, index_keys
from engine.petitions.words import Aliases
from engine.schema import alembic_config


def _petition(conn, pid: int, township: int, village: str, content: str,
              accused: dict, keys: tuple[str, ...]) -> None:
    clerk, unit = conn.execute(text("SELECT id, unit_id FROM users ORDER BY id")).first()
    conn.execute(text(
        "INSERT INTO petitions (id, number, channel, received_at, registered_at, "
        "registered_by_id, unit_id, anonymous, township_id, village, category, content, "
        "status, sealed, updated_at) VALUES (:id, :number, 'letter', :t, :t, :c, :u, "
        ":f, :town, :village, 'other', :content, 'registered', :f, :t)"),
        {"id": pid, "number": f"OLD-{pid}", "t": "2026-01-05 09:00:00", "c": clerk, "u": unit,
         "town": township, "village": village, "content": content, "f": False})
    conn.execute(text("INSERT INTO accused_persons (petition_id, name, post, unit, level) "
                      "VALUES (:id, :name, :post, :unit, 'village')"), {"id": pid, **accused})
    for key in keys:
        conn.execute(text("INSERT INTO repeat_keys (key, petition_id) VALUES (:k, :id)"),
                     {"k": key, "id": pid})


def test_offices_become_candidate_keys_and_keys_are_rewritten(scratch, backend):
    url = scratch.create(backend)
    cfg = alembic_config()
    cfg.attributes["url"] = url
    engine = create_engine(url)
    command.downgrade(cfg, "0036")
    cashier = {"name": "亓秀梅", "post": "出纳", "unit": "己镇财政所"}
    leader = {"name": "厍大勇", "post": "村民小组长", "unit": "鹁鸪岭村"}
    window = {"name": "訾春燕", "post": "残联窗口工作人员", "unit": "丁镇便民服务中心"}
    with engine.begin() as conn:
        aliases = {a for (a,) in conn.execute(text("SELECT alias FROM repeat_aliases"))}
        assert "残联" not in aliases and "林业员" not in aliases and "管残联" in aliases
        # An administrator's own reading of a word 0037 would add: kept as it is, and the
        # office keys are read with it.
        conn.execute(text("INSERT INTO repeat_aliases (kind, alias, canonical) "
                          "VALUES ('everyday', '残联', '社保专干')"))
        town = {code: conn.execute(text("SELECT id FROM units WHERE code = :c"),
                                   {"c": code}).scalar() for code in ("town-c", "town-d")}
        # Keyed by the old reading: no office keys, the village with its township and group.
        _petition(conn, 9201, town["town-d"], "冬青湾村", "亓秀梅挪用高龄津贴炒股。", cashier,
                  ("v|冬青湾", "s|冬青湾|亓", "ts|townd|亓", "n|亓秀梅", "n|亓梅", "n|亓秀", "n|秀梅",
                   "p|冬青湾|出纳", "tp|townd|出纳"))
        _petition(conn, 9202, town["town-c"], "丙镇鹁鸪岭村三组", "厍大勇强揽酒席。", leader,
                  ("v|丙镇鹁鸪岭村三", "s|丙镇鹁鸪岭村三|厍"))
        _petition(conn, 9203, town["town-d"], "", "訾春燕办残疾证收钱。", window,
                  ("v|townd", "s|townd|訾", "p|townd|人员", "tp|townd|人员"))
    command.upgrade(cfg, "0037")
    with engine.connect() as conn:
        rows = set(conn.execute(text("SELECT kind, alias, canonical FROM repeat_aliases")))
        stored = {pid: {k for (k,) in conn.execute(text(
            "SELECT key FROM repeat_keys WHERE petition_id = :id"), {"id": pid})}
            for pid in (9201, 9202, 9203)}
        carried = set(conn.execute(text(
            "SELECT p.id, p.village, a.name, a.post, a.unit FROM petitions p "
            "JOIN accused_persons a ON a.petition_id = p.id WHERE p.id IN (9201, 9202, 9203)")))
    assert {("everyday", "农机", "农技员"), ("everyday", "管工资", "财政专干"),
            ("post", "林业员", "林业员"), ("everyday", "林业站", "林业员"),
            ("phrase", "坝坝宴", "酒席")} <= rows
    assert ("everyday", "残联", "社保专干") in rows and ("everyday", "残联", "民政专干") not in rows
    assert carried == {(9201, "冬青湾村", "亓秀梅", "出纳", "己镇财政所"),
                       (9202, "丙镇鹁鸪岭村三组", "厍大勇", "村民小组长", "鹁鸪岭村"),
                       (9203, "", "訾春燕", "残联窗口工作人员", "丁镇便民服务中心")}
    assert "o|townd|财政专干" in stored[9201]
    assert stored[9201] == index_keys(PetitionFeatures(
        petition_id=9201, accused=[cashier], township="town-d", village="冬青湾村"))
    assert {"v|鹁鸪岭", "s|鹁鸪岭|厍", "p|鹁鸪岭|组长"} <= stored[9202]
    # The administrator's reading decides the office key: 残联 is 社保 here.
    assert "o|townd|社保专干" in stored[9203] and "o|townd|民政专干" not in stored[9203]
    with engine.connect() as conn:
        table = Aliases(tuple(tuple(r) for r in conn.execute(text(
            "SELECT kind, alias, canonical FROM repeat_aliases ORDER BY alias"))))
    assert stored[9203] == index_keys(PetitionFeatures(
        petition_id=9203, accused=[window], township="town-d"), table)
    command.downgrade(cfg, "0036")
    with engine.connect() as conn:
        rows = set(conn.execute(text("SELECT kind, alias, canonical FROM repeat_aliases")))
        offices = conn.execute(text(
            "SELECT count(*) FROM repeat_keys WHERE key LIKE 'o|%'")).scalar()
        kept = conn.execute(text(
            "SELECT count(*) FROM petitions WHERE id IN (9201, 9202, 9203)")).scalar()
    assert ("everyday", "农机", "农技员") not in rows and ("post", "林业员", "林业员") not in rows
    assert ("everyday", "残联", "社保专干") in rows and ("everyday", "管残联", "民政专干") in rows
    assert offices == 0 and kept == 3
    command.upgrade(cfg, "head")
    engine.dispose()
