"""Migration 0035 adds the township offices, errands and building-permit paraphrases to the repeat
check's alias table, keeping an administrator's own reading of one, and rewrites every petition's
keys ("蔺老二" is the surname 蔺; "农业站当家的" is stored under 站长), on SQLite and PostgreSQL;
the petitions and their accused are carried as they were. Downgrading removes the rows it added."""
from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, text

from engine.petitions.similarity import PetitionFeatures, index_keys
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


def test_offices_and_errands_added_and_keys_rewritten(scratch, backend):
    url = scratch.create(backend)
    cfg = alembic_config()
    cfg.attributes["url"] = url
    engine = create_engine(url)
    command.downgrade(cfg, "0034")
    sibling = {"name": "蔺老二", "post": "", "unit": "鹞子沟村"}
    head = {"name": "", "post": "镇上农业站当家的", "unit": "甲镇农业站"}
    with engine.begin() as conn:
        aliases = {a for (a,) in conn.execute(text("SELECT alias FROM repeat_aliases"))}
        assert "社会事务办" not in aliases and "农技员" not in aliases and "管账" in aliases
        # An administrator's own reading of a word 0035 would add: kept as it is.
        conn.execute(text("INSERT INTO repeat_aliases (kind, alias, canonical) "
                          "VALUES ('everyday', '社事办', '社保专干')"))
        town_d = conn.execute(text("SELECT id FROM units WHERE code = 'town-d'")).scalar()
        town_a = conn.execute(text("SELECT id FROM units WHERE code = 'town-a'")).scalar()
        # Keyed by the old reading: "蔺老二" a full name, the head's post by its last characters.
        _petition(conn, 9101, town_d, "鹞子沟村", "蔺老二让他侄娃子挨家送油拉票。", sibling,
                  ("v|鹞子沟", "s|鹞子沟|蔺", "ts|townd|蔺", "n|蔺老二", "n|老二", "n|蔺二",
                   "n|蔺老"))
        _petition(conn, 9102, town_a, "", "农业站当家的给他爹做寿收红包。", head,
                  ("v|towna", "p|towna|家的", "tp|towna|家的"))
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        rows = set(conn.execute(text("SELECT kind, alias, canonical FROM repeat_aliases")))
        stored = {pid: {k for (k,) in conn.execute(text(
            "SELECT key FROM repeat_keys WHERE petition_id = :id"), {"id": pid})}
            for pid in (9101, 9102)}
        carried = set(conn.execute(text(
            "SELECT p.id, p.village, p.content, a.name, a.post, a.unit FROM petitions p "
            "JOIN accused_persons a ON a.petition_id = p.id WHERE p.id IN (9101, 9102)")))
    assert {("everyday", "社会事务办", "民政专干"), ("everyday", "管建房", "国土专干"),
            ("post", "农技员", "农技员"), ("everyday", "农业站", "农技员"),
            ("phrase", "盖房子", "建房")} <= rows
    assert ("everyday", "社事办", "社保专干") in rows and ("everyday", "社事办", "民政专干") not in rows
    assert carried == {(9101, "鹞子沟村", "蔺老二让他侄娃子挨家送油拉票。", "蔺老二", "", "鹞子沟村"),
                       (9102, "", "农业站当家的给他爹做寿收红包。", "", "镇上农业站当家的",
                        "甲镇农业站")}
    assert stored[9101] == {"v|鹞子沟", "s|鹞子沟|蔺", "ts|townd|蔺"} == index_keys(
        PetitionFeatures(petition_id=9101, accused=[sibling], township="town-d",
                         village="鹞子沟村"))
    # From migration 0037 on (head) the office the unit names is a key too.
    assert stored[9102] == {"v|towna", "p|towna|站长", "tp|towna|站长", "o|towna|农技员"} == index_keys(
        PetitionFeatures(petition_id=9102, accused=[head], township="town-a"))
    command.downgrade(cfg, "0034")
    with engine.connect() as conn:
        rows = set(conn.execute(text("SELECT kind, alias, canonical FROM repeat_aliases")))
        kept = conn.execute(text("SELECT count(*) FROM petitions WHERE id IN (9101, 9102)")).scalar()
    assert ("everyday", "社会事务办", "民政专干") not in rows and ("post", "农技员", "农技员") not in rows
    assert ("everyday", "社事办", "社保专干") in rows and ("everyday", "管账", "村会计") in rows
    assert kept == 2
    command.upgrade(cfg, "head")
    engine.dispose()
