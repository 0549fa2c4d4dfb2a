"""repeat_aliases: the alias table of the repeat check, seeded with its defaults

The repeat check reads posts, kinship terms and common paraphrases through this table
("小舅子" is "妻弟", "村长" is "村主任"); administrators edit it (admin API and page).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 17:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

# The defaults as of this revision (a frozen copy, so later edits to the code never change
# what this migration writes): kind -> canonical -> aliases.
SEED = {
    "post": {
        "村支书": ("村党支部书记", "村支部书记", "党支部书记", "支部书记", "村书记", "支书",
                   "书记", "村党总支书记", "党总支书记"),
        "村主任": ("村委会主任", "村民委员会主任", "村长", "主任"),
        "村会计": ("会计", "村报账员", "报账员", "村出纳", "出纳"),
        "村监委主任": ("村监委会主任", "村务监督委员会主任", "监委会主任"),
        "村民小组长": ("组长", "小组长", "村小组长", "队长"),
    },
    "kinship": {
        "妻弟": ("小舅子", "舅子", "内弟"), "岳父": ("老丈人", "丈人", "岳丈"),
        "岳母": ("丈母娘",), "妻子": ("老婆", "爱人", "媳妇儿"), "丈夫": ("老公",),
        "儿媳": ("儿媳妇",), "女婿": ("姑爷",), "弟媳": ("弟媳妇", "弟妹"),
        "表兄弟": ("老表", "表弟", "表哥", "表兄"), "堂兄弟": ("堂哥", "堂兄", "堂弟"),
        "侄子": ("侄儿",), "母亲": ("老娘", "老妈", "妈妈"), "父亲": ("老爹", "老爸", "爸爸"),
        "弟弟": ("胞弟", "亲弟弟", "兄弟"), "哥哥": ("大哥", "亲哥", "胞兄"),
    },
    "phrase": {
        "套取": ("骗取", "冒领", "骗", "套", "白拿", "多拿", "多领", "骗了", "弄了"),
        "虚报": ("多报", "多算", "虚开", "谎报", "假"),
        "好处费": ("辛苦费", "红包", "礼金", "回扣", "手续费", "跑腿费"),
        "春节": ("过年", "逢年过节", "年关"),
        "吃喝": ("公款吃喝", "下馆子", "请客", "大吃大喝", "招待费", "吃掉"),
        "贿选": ("拉票", "买票", "发钱"),
        "承包": ("发包", "包给", "包了", "承包给", "租给", "出租"),
        "未入账": ("没入账", "不入账", "没交到", "未缴入", "没进", "入账"),
        "村集体": ("村里", "集体", "组里"),
        "渠道": ("水渠", "渠"),
        "施工": ("承建", "干的", "干了", "修"),
        "分给": ("分配给", "给了", "发给", "分"),
        "住房": ("房子", "楼房", "商品房", "房"),
    },
}


def rows() -> list[dict]:
    """One row per alias; the canonical spelling maps to itself (a post is always known)."""
    out, seen = [], set()
    for kind, groups in SEED.items():
        for canonical, aliases in groups.items():
            for alias in (canonical, *aliases):
                if alias not in seen:
                    seen.add(alias)
                    out.append({"kind": kind, "alias": alias, "canonical": canonical})
    return out


def upgrade() -> None:
    table = op.create_table(
        "repeat_aliases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("alias", sa.String(64), nullable=False, unique=True),
        sa.Column("canonical", sa.String(64), nullable=False))
    op.bulk_insert(table, rows())


def downgrade() -> None:
    op.drop_table("repeat_aliases")
