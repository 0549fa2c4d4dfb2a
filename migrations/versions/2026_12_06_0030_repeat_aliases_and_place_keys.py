"""repeat check: more alias rows, and every petition's keys rewritten (place key, nicknames)

The fresh labelled set (issue 19) missed repeats written with a post or everyday words the
alias table did not know (文书, 抽沙 for 采砂, 打牌 for 赌博, 公车 for 公务用车, …); this adds them
to `repeat_aliases` (a frozen copy below; an alias an administrator already has is left as it
is). The keys change: every petition is now also stored under its place ("v|<village>", or the
township when no village is given), and a name such as "小邱" or "老王" is read as the surname
邱 / 王 (engine/petitions/similarity.py). Every petition's keys are rewritten here by the code
that writes them at registration (`index_keys`), as 0023 did.

Downgrading removes the alias rows this added (where they are still as added) and leaves the
keys as they are: the older code never asks for a place key, and reads a nickname's keys as a
surname's (a petition's keys are rewritten on its next correction).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 03:30:00
"""
import sqlalchemy as sa
from alembic import op

from engine.petitions.similarity import PetitionFeatures, index_keys

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

# The rows this revision adds (a frozen copy of engine/petitions/words.py `_SEED_0030`):
# kind -> canonical -> aliases.
SEED = {
    "post": {
        "村文书": ("文书", "村委会文书", "村办文书"),
    },
    "kinship": {
        "儿子": ("大小子", "小子", "儿娃子", "崽"),
        "孩子": ("娃", "娃娃", "小孩", "小孩子", "子女"),
        "亲属": ("亲戚", "屋头亲戚", "家里人", "自家人", "亲友"),
    },
    "phrase": {
        "采砂": ("采沙", "挖沙", "挖砂", "抽沙", "抽砂", "河砂", "河沙", "采挖", "挖河沙"),
        "河堤": ("河坎", "堤坝", "堤防", "河岸"),
        "赌博": ("打牌", "赌钱", "聚赌", "参赌", "赌", "打麻将"),
        "赌场": ("赌局", "牌局", "开赌场", "设赌"),
        "抽头": ("抽水", "抽成", "抽头钱"),
        "工作时间": ("上班时间", "上班期间", "工作日"),
        "洪灾": ("发大水", "洪水", "水灾", "涨水", "被淹", "受灾"),
        "救灾物资": ("救灾", "救灾款", "赈灾", "米油"),
        "棉被": ("被子", "被褥"),
        "农田": ("水田", "田地", "耕地", "良田", "田"),
        "占用": ("占了", "侵占", "霸占", "占地"),
        "公益岗位": ("公益岗", "公益性岗位", "公益性"),
        "套取": ("领钱", "吃空饷", "白领工资"),
        "公车": ("公务用车", "公家车", "单位的车", "公车私用"),
        "接送": ("接娃", "送娃", "接孩子", "送孩子"),
        "医保": ("医保费", "参保费", "医疗保险", "保费"),
        "炒股": ("炒股票", "买股票"),
        "专项资金": ("项目资金", "项目款", "专项款"),
        "学校": ("校舍", "小学", "村小"),
        "变卖": ("卖了", "卖掉", "转卖", "卖给"),
        "威胁": ("恐吓", "吓唬", "守在", "堵门"),
        "闲散人员": ("二流子", "混混", "社会人员", "社会闲散人员"),
    },
}
# Canonical words 0020 seeded already (their own row is 0020's: never added nor removed here).
SEEDED_BY_0020 = {"套取"}
BATCH = 2000

aliases = sa.table("repeat_aliases", sa.column("kind"), sa.column("alias"),
                   sa.column("canonical"))
keys = sa.table("repeat_keys", sa.column("key"), sa.column("petition_id"))


def rows() -> list[dict]:
    """One row per alias of SEED (the canonical spelling maps to itself)."""
    out, seen = [], set(SEEDED_BY_0020)
    for kind, groups in SEED.items():
        for canonical, words in groups.items():
            for alias in (canonical, *words):
                if alias not in seen:
                    seen.add(alias)
                    out.append({"kind": kind, "alias": alias, "canonical": canonical})
    return out


def _rewrite_keys(conn) -> None:
    """Rewrite every petition's keys, in batches of ids (the code that writes them at
    registration decides them: 0023 did the same)."""
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
                      village=village or "")))]
        if values:
            conn.execute(keys.insert(), values)


def upgrade() -> None:
    conn = op.get_bind()
    present = {alias for (alias,) in conn.execute(sa.select(aliases.c.alias))}
    new = [row for row in rows() if row["alias"] not in present]
    if new:
        conn.execute(aliases.insert(), new)
    _rewrite_keys(conn)


def downgrade() -> None:
    conn = op.get_bind()
    for row in rows():
        conn.execute(aliases.delete().where(aliases.c.alias == row["alias"],
                                            aliases.c.kind == row["kind"],
                                            aliases.c.canonical == row["canonical"]))
