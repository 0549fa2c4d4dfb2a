"""repeat check: township offices, errands and address forms; every petition's keys rewritten

The fourth blind set of issue 19 missed repeats that name the accused by an errand or an
office instead of a post ("镇上管低保的女干部", "镇上办建房手续的那个女的", "镇上农业站当家的") or by a
sibling's address after the surname ("蔺老二", "邴老三"). This adds to `repeat_aliases` (a frozen
copy below; an alias an administrator already has is left as it is): the township offices by the
names units and reporters give them (社会事务办 and 社事办 for the 民政 office, 自然资源所 and 资源所
for 国土, 农业站/农技站/农服站 for a new post 农技员), the errands those offices do as everyday words
("管建房", "管特困": a reporter's "负责X的", "办X的" is read as "管X", engine/petitions/words.py) and
a few paraphrases of building-permit matters (盖房子 = 建房, 手续 = 审批, 好烟 = 香烟). The keys
change: "蔺老二", "钱二哥", "柏三婶" are the surname (stored like "蔺某"), and a post or name field
that speaks of an office's head ("农业站当家的", "财政所的头儿") is stored under the head's title
(站长, 所长) (engine/petitions/similarity.py). Every petition's keys are rewritten here by the code
that writes them at registration (`index_keys`), as 0023, 0030 and 0034 did.

Downgrading removes the alias rows this added (where they are still as added) and leaves the keys
as they are: the older code reads a surname key as a surname's and a head's title as a post's
(a petition's keys are rewritten on its next correction).

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06 20:00:00
"""
import sqlalchemy as sa
from alembic import op

from engine.petitions.similarity import PetitionFeatures, index_keys

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None

# The rows this revision adds (a frozen copy of engine/petitions/words.py `_SEED_0035`):
# kind -> canonical -> aliases.
SEED = {
    "post": {
        "农技员": ("农技干部", "农技人员", "农业站干部", "农技站干部", "农服站干部"),
    },
    "everyday": {
        "民政专干": ("社会事务办", "社事办", "社会事务", "管救助", "管特困", "管临时救助", "管残联", "管优抚", "管殡葬"),
        "国土专干": ("自然资源", "资源所", "规划所", "管建房", "管盖房", "管规划", "管用地", "管违建", "管拆违"),
        "社保专干": ("劳动保障", "人社所", "人社站", "管社保卡", "管退休"),
        "农技员": ("农业站", "农技站", "农服站", "农业服务", "农业综合服务", "农技中心", "农技", "管农机", "管种子", "管化肥", "管农资"),
        "计生专干": ("管准生", "管生育"),
        "扶贫专干": ("乡村振兴", "振兴办", "管脱贫"),
    },
    "phrase": {
        "建房": ("盖房", "盖房子", "建房子", "起房子", "修房子", "盖新房", "建新房", "翻建", "翻盖"),
        "审批": ("手续", "审核", "批文", "批手续"),
        "材料不全": ("少这少那", "缺这缺那", "缺材料", "材料不齐", "手续不全"),
        "香烟": ("好烟", "中华烟", "烟", "条烟", "整条烟"),
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


def _rewrite_keys(conn) -> None:
    """Rewrite every petition's keys, in batches of ids (the code that writes them at
    registration decides them: 0023, 0030 and 0034 did the same)."""
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
    new = rows(present)
    if new:
        conn.execute(aliases.insert(), new)
    _rewrite_keys(conn)


def downgrade() -> None:
    conn = op.get_bind()
    for row in rows():
        conn.execute(aliases.delete().where(aliases.c.alias == row["alias"],
                                            aliases.c.kind == row["kind"],
                                            aliases.c.canonical == row["canonical"]))
