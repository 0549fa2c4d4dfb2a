"""repeat check: the everyday post lexicon, township posts and kinship paths; every petition's keys
rewritten (the surname and post in the township)

Repeats the blind sets of issue 19 still missed named nobody and described the post in everyday
words ("管社保的", "村里管账的", "民政上的女干部"), or addressed the accused by the surname ("老钱头",
"钱头儿", "尹姐") with no village. This adds to `repeat_aliases` (a frozen copy below; an alias an
administrator already has is left as it is): a new kind `everyday` — a word found anywhere inside
the post or name field, or in the text of a petition that names nobody ("管账": 村会计, "社保":
社保专干) — posts of township offices (社保专干, 民政专干, ...), kinship terms said as a path
("姐姐的儿子": 外甥, "小叔子": 夫弟) and a few paraphrases (转到 = 转入, 救济 = 救助). The keys
change: a petition is also stored under its accused's surname and post in its township
("ts|<township>|<surname>", "tp|<township>|<post>"), so a petition giving only the township finds
them in any of its villages (engine/petitions/similarity.py); a name such as "钱头儿" or "尹姐" is
read as the surname. Every petition's keys are rewritten here by the code that writes them at
registration (`index_keys`), as 0023 and 0030 did.

Downgrading removes the alias rows this added (where they are still as added) and the township
keys; a petition keyed under an address form keeps its keys until its next correction.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 06:00:00
"""
import sqlalchemy as sa
from alembic import op

from engine.petitions.similarity import PetitionFeatures, index_keys

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None

# The rows this revision adds (a frozen copy of engine/petitions/words.py `_SEED_0034`):
# kind -> canonical -> aliases.
SEED = {
    "post": {
        "社保专干": ("社保员", "社保协理员", "社保所干部", "社保所工作人员", "社保干部"),
        "民政专干": ("民政员", "民政干部", "民政办干部", "民政协理员", "民政助理员"),
        "计生专干": ("计生员", "计生干部", "计生专职"),
        "扶贫专干": ("扶贫干部", "扶贫专员", "扶贫办干部"),
        "国土专干": ("国土员", "国土所干部", "国土干部"),
        "财政专干": ("财政所干部", "财政干部"),
        "农经专干": ("农经员", "农经站干部"),
        "村妇女主任": ("妇女主任", "妇联主席", "村妇联主席"),
        "护林员": ("看山员", "生态护林员"),
        "水管员": ("管水员", "放水员"),
    },
    "everyday": {
        "村会计": ("管账", "管钱", "管财务", "管票据", "报账", "记账", "账房"),
        "村支书": ("一把手", "管党务", "支部的头"),
        "村主任": ("村委的头", "村委会的头", "管村委", "当村长"),
        "村民小组长": ("组上的头", "队上的头", "管组里", "管小组"),
        "村文书": ("写材料", "管文书", "管公章", "管章子"),
        "村监委主任": ("监委会的", "管监督"),
        "社保专干": ("社保", "养老保险", "管养老金", "管医保"),
        "民政专干": ("民政", "救济", "管低保", "管残疾", "管五保"),
        "计生专干": ("计生", "计划生育"),
        "扶贫专干": ("扶贫办", "管扶贫"),
        "国土专干": ("国土", "管土地", "管宅基地"),
        "财政专干": ("财政所", "管财政", "管补贴", "发补贴"),
        "农经专干": ("农经", "管集体资产"),
        "村妇女主任": ("管妇女", "妇联"),
        "护林员": ("看山", "护林", "管山林"),
        "水管员": ("管水", "放水"),
    },
    "kinship": {
        "外甥": ("外甥子", "外甥儿", "姐姐的儿子", "姐姐家的儿子", "妹妹的儿子", "妹妹家的儿子", "姐姐家的孩子", "妹妹家的孩子"),
        "外甥女": ("姐姐的女儿", "妹妹的女儿", "姐姐家的女儿", "妹妹家的女儿"),
        "侄女": ("侄女儿", "哥哥的女儿", "弟弟的女儿"),
        "夫弟": ("小叔子", "小叔", "丈夫的弟弟", "老公的弟弟", "男人的弟弟"),
        "夫兄": ("大伯子", "丈夫的哥哥", "老公的哥哥"),
        "妻妹": ("小姨子", "老婆的妹妹", "老婆妹妹", "媳妇的妹妹"),
        "妻兄": ("大舅子", "大舅哥", "老婆的哥哥", "老婆哥哥"),
        "连襟": ("襟兄弟", "挑担", "老婆妹妹的男人", "老婆姐姐的男人", "老婆妹妹的老公", "老婆姐姐的老公"),
        "姐夫": ("姐姐的老公", "姐姐的男人", "姐姐家的男人"),
        "妹夫": ("妹妹的老公", "妹妹的男人", "妹妹家的男人", "妹婿"),
        "女儿": ("闺女", "姑娘", "女娃"),
        "公公": ("老公的爸爸", "丈夫的父亲"),
        "婆婆": ("老公的妈妈", "丈夫的母亲", "婆婆娘"),
        "丈夫": ("男人", "老头子"),
    },
    "phrase": {
        "转入": ("转到", "转给", "打到", "打进", "转进", "汇入", "汇到"),
        "救助": ("救济", "救济款", "救济金", "救助金", "救助款", "临时救助"),
        "银行卡": ("卡上", "卡里", "账户", "银行账户", "存折", "个人账户"),
        "购房": ("买房", "买房子", "购买住房", "购置住房", "付首付", "首付"),
        "挪用": ("拿去用", "挪去", "借用", "占用资金"),
        "克扣": ("扣下", "扣了", "截留", "少发"),
    },
}
BATCH = 2000

aliases = sa.table("repeat_aliases", sa.column("kind"), sa.column("alias"),
                   sa.column("canonical"))
keys = sa.table("repeat_keys", sa.column("key"), sa.column("petition_id"))


def rows(present: set[str] = frozenset()) -> list[dict]:
    """One row per alias of SEED (the canonical spelling maps to itself), none of `present`:
    a canonical post already seeded keeps its own row, and an administrator's reading of a word
    is kept."""
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
    registration decides them: 0023 and 0030 did the same)."""
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
    conn.execute(keys.delete().where(sa.or_(keys.c.key.like("ts|%"), keys.c.key.like("tp|%"))))
