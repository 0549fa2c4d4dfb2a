"""repeat check: the township office as a candidate key; more offices and errands; every key rewritten

The fifth blind set of issue 19 missed repeats whose original was never compared at all: an
accused named by an office or an errand ("财政所管钱的那个女的", "农机站管补贴的那个干部", "丁镇管残疾证
的那个女干部") shares no post key with the original's post as written (出纳, 农机管理员, 残联窗口工作
人员), and a village written with its group or township ("丙镇鹁鸪岭村三组") had another place key
than "鹁鸪岭". From this revision every petition is also stored under the township office each
accused's post or unit speaks of ("o|<township>|<office>": 己镇财政所's 出纳 under the 财政 office),
read with the alias table, and villages are keyed without group and township
(engine/petitions/similarity.py). This adds to `repeat_aliases` (a frozen copy below; an alias an
administrator already has is left as it is): the offices' everyday words and errands (残联 and 残疾证
for 民政, 农机 for the agricultural station, 医保 windows for 社保, 工资 and 一卡通 for 财政, 宅基地 and
城建 for 国土), two offices the table lacked (林业站: 林业员, 水利站: 水利员) and the paraphrases of a
village banquet and its cook. Every petition's keys are then rewritten by the code that writes
them at registration (`index_keys`, with the alias table as it now is), as 0023, 0030, 0034 and
0035 did.

Downgrading removes the alias rows this added (where they are still as added) and the office
keys; the other keys stay as they are (the older code asks for none of the office keys, and a
petition's keys are rewritten on its next correction).

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-06 21:00:00
"""
import sqlalchemy as sa
from alembic import op

from engine.petitions.similarity import PetitionFeatures, index_keys
from engine.petitions.words import Aliases

revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None

# The rows this revision adds (a frozen copy of engine/petitions/words.py `_SEED_0037`):
# kind -> canonical -> aliases.
SEED = {
    "post": {
        "林业员": ("林业站干部", "林业干部", "林业站工作人员"),
        "水利员": ("水利站干部", "水利干部", "水利站工作人员", "水管站干部"),
    },
    "everyday": {
        "民政专干": ("残联", "残疾人联合会", "残疾证", "残疾人证", "管残疾人", "管社会救助", "管救济"),
        "农技员": ("农机", "农机站", "农机中心", "管农机补贴", "管农业补贴", "管良种"),
        "社保专干": ("医保站", "医保所", "医保办", "医保窗口", "社保窗口", "管医疗保险", "管养老保险",
                     "管合作医疗"),
        "财政专干": ("财政", "财政分局", "管工资", "发工资", "管一卡通", "一卡通", "管拨款"),
        "国土专干": ("土地所", "宅基地", "城建", "城建办", "村镇建设", "建设办", "管宅基"),
        "林业员": ("林业站", "林业", "林权", "管林权", "管林业", "砍伐证", "管砍伐", "管砍树", "管树"),
        "水利员": ("水利站", "水利", "水务站", "水管站", "管渠", "管水利", "管水库", "管堰塘"),
    },
    "phrase": {
        "酒席": ("办酒", "办酒席", "坝坝宴", "宴席", "流水席", "摆酒", "酒宴", "席面"),
        "厨师": ("厨子", "大厨", "掌勺"),
        "住院": ("医院", "进医院", "送医院"),
    },
}
BATCH = 2000

aliases = sa.table("repeat_aliases", sa.column("kind"), sa.column("alias"),
                   sa.column("canonical"))
keys = sa.table("repeat_keys", sa.column("key"), sa.column("petition_id"))


def rows(present: set[str] = frozenset()) -> list[dict]:
    """One row per alias of SEED (the canonical spelling maps to itself), none of `present`:
    an administrator's reading of a word is kept."""
    out, seen = [], set(present)
    for kind, groups in SEED.items():
        for canonical, words in groups.items():
            for alias in (canonical, *words):
                if alias not in seen:
                    seen.add(alias)
                    out.append({"kind": kind, "alias": alias, "canonical": canonical})
    return out


def _table(conn) -> Aliases:
    """The alias table as the database holds it now (the office keys read it)."""
    return Aliases(tuple(tuple(r) for r in conn.execute(
        sa.select(aliases.c.kind, aliases.c.alias, aliases.c.canonical)
        .order_by(aliases.c.alias))))


def _rewrite_keys(conn, table: Aliases) -> None:
    """Rewrite every petition's keys, in batches of ids (the code that writes them at
    registration decides them: 0023, 0030, 0034 and 0035 did the same)."""
    last = 0
    while True:
        petitions = conn.execute(sa.text(
            "SELECT p.id, p.village, u.code FROM petitions p "
            "LEFT JOIN units u ON u.id = p.township_id WHERE p.id > :last ORDER BY p.id "
            f"LIMIT {BATCH}"), {"last": last}).all()
        if not petitions:
            return
        first, last = last, petitions[-1][0]
        accused: dict[int, list[dict]] = {}
        for pid, name, post, unit in conn.execute(sa.text(
                "SELECT petition_id, name, post, unit FROM accused_persons "
                "WHERE petition_id > :first AND petition_id <= :last ORDER BY id"),
                {"first": first, "last": last}):
            accused.setdefault(pid, []).append({"name": name, "post": post, "unit": unit})
        conn.execute(keys.delete().where(keys.c.petition_id > first,
                                         keys.c.petition_id <= last))
        values = [{"key": key, "petition_id": pid}
                  for pid, village, township in petitions
                  for key in sorted(index_keys(PetitionFeatures(
                      petition_id=pid, accused=accused.get(pid, []), township=township or "",
                      village=village or ""), table))]
        if values:
            conn.execute(keys.insert(), values)


def upgrade() -> None:
    conn = op.get_bind()
    present = {alias for (alias,) in conn.execute(sa.select(aliases.c.alias))}
    new = rows(present)
    if new:
        conn.execute(aliases.insert(), new)
    _rewrite_keys(conn, _table(conn))


def downgrade() -> None:
    conn = op.get_bind()
    for row in rows():
        conn.execute(aliases.delete().where(aliases.c.alias == row["alias"],
                                            aliases.c.kind == row["kind"],
                                            aliases.c.canonical == row["canonical"]))
    conn.execute(keys.delete().where(keys.c.key.like("o|%")))
