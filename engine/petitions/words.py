"""Words of a petition's matter: jieba segmentation, an alias table (posts, kinship terms,
common paraphrases) and numbers normalised to comparable tokens.

jieba loads its dictionary from the installed package (jieba/dict.txt) and never downloads;
one tokenizer per process, built on first use (about a second) and shared by all threads."""
from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from collections.abc import Iterable

import jieba


_STRIP = {cp: None for cp in range(0x10000)
          if unicodedata.category(chr(cp))[0] in "PSZC" and not 0xD800 <= cp <= 0xDFFF}


def normalize(text: str | None) -> str:
    """NFKC, lower case, no whitespace and no punctuation: "张 三，" -> "张三"."""
    if not text:
        return ""
    return unicodedata.normalize("NFKC", text).lower().translate(_STRIP)


# kind -> canonical -> aliases: the defaults seeded into the `repeat_aliases` table by migration
# 0020, and those migration 0030 added (each migration keeps its own frozen copy); administrators
# edit the table (admin API / page), the repeat check reads it from there.
_SEED_0020: dict[str, dict[str, tuple[str, ...]]] = {
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
# Added by migration 0030 (issue 19, after the fresh set's misses): more posts and the everyday
# words petitioners use for common matters.
_SEED_0030: dict[str, dict[str, tuple[str, ...]]] = {
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


# Added by migration 0034 (issue 19 point 5): the everyday post lexicon — words a reporter uses
# for a post without knowing its title ("管社保的", "村里管账的", "民政上的女干部"), found anywhere
# inside what is written in the post or name field (kind "everyday"; a post alias must be the
# whole field) — more posts of township offices, and kinship terms said as a path ("他姐姐的儿子").
_SEED_0034: dict[str, dict[str, tuple[str, ...]]] = {
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
        "外甥": ("外甥子", "外甥儿", "姐姐的儿子", "姐姐家的儿子", "妹妹的儿子", "妹妹家的儿子",
                 "姐姐家的孩子", "妹妹家的孩子"),
        "外甥女": ("姐姐的女儿", "妹妹的女儿", "姐姐家的女儿", "妹妹家的女儿"),
        "侄女": ("侄女儿", "哥哥的女儿", "弟弟的女儿"),
        "夫弟": ("小叔子", "小叔", "丈夫的弟弟", "老公的弟弟", "男人的弟弟"),
        "夫兄": ("大伯子", "丈夫的哥哥", "老公的哥哥"),
        "妻妹": ("小姨子", "老婆的妹妹", "老婆妹妹", "媳妇的妹妹"),
        "妻兄": ("大舅子", "大舅哥", "老婆的哥哥", "老婆哥哥"),
        "连襟": ("襟兄弟", "挑担", "老婆妹妹的男人", "老婆姐姐的男人", "老婆妹妹的老公",
                 "老婆姐姐的老公"),
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

# Added by migration 0035 (issue 19 point 4, after the fourth blind set's misses): the township
# offices by the names reporters and units give them (社会事务办 and 社事办 do the 民政 work;
# 自然资源所 and 资源所 the land and building permits; 农业站, 农技站, 农服站 the agricultural service
# station), so an office named in a post or unit is read as the office's post; and the errands a
# reporter names a cadre by ("办建房手续的", "负责低保的": read as "管建房", "管低保"; see
# Aliases.describe) for the matters those offices handle.
_SEED_0035: dict[str, dict[str, tuple[str, ...]]] = {
    "post": {
        "农技员": ("农技干部", "农技人员", "农业站干部", "农技站干部", "农服站干部"),
    },
    "everyday": {
        "民政专干": ("社会事务办", "社事办", "社会事务", "管救助", "管特困", "管临时救助", "管残联",
                     "管优抚", "管殡葬"),
        "国土专干": ("自然资源", "资源所", "规划所", "管建房", "管盖房", "管规划", "管用地",
                     "管违建", "管拆违"),
        "社保专干": ("劳动保障", "人社所", "人社站", "管社保卡", "管退休"),
        "农技员": ("农业站", "农技站", "农服站", "农业服务", "农业综合服务", "农技中心", "农技",
                   "管农机", "管种子", "管化肥", "管农资"),
        "计生专干": ("管准生", "管生育"),
        "扶贫专干": ("乡村振兴", "振兴办", "管脱贫"),
    },
    "phrase": {
        "建房": ("盖房", "盖房子", "建房子", "起房子", "修房子", "盖新房", "建新房", "翻建",
                 "翻盖"),
        "审批": ("手续", "审核", "批文", "批手续"),
        "材料不全": ("少这少那", "缺这缺那", "缺材料", "材料不齐", "手续不全"),
        "香烟": ("好烟", "中华烟", "烟", "条烟", "整条烟"),
    },
}

# Added by migration 0037 (issue 19 point 4, after the fifth blind set's misses): more township
# offices and the errands reporters name their staff by — 残联 and 残疾证 are the 民政 office's,
# 农机 the agricultural station's, 医保 windows the 社保 office's, 工资 and 一卡通 the 财政所's,
# 宅基地, 城建 and 村镇建设 the land office's — and two offices the seeds lacked (林业站, 水利站);
# with the paraphrases of a village banquet (办酒, 坝坝宴: 酒席) and its cook (厨子: 厨师).
_SEED_0037: dict[str, dict[str, tuple[str, ...]]] = {
    "post": {
        "林业员": ("林业站干部", "林业干部", "林业站工作人员"),
        "水利员": ("水利站干部", "水利干部", "水利站工作人员", "水管站干部"),
    },
    "everyday": {
        "民政专干": ("残联", "残疾人联合会", "残疾证", "残疾人证", "管残疾人", "管社会救助", "管救济"),
        "农技员": ("农机", "农机站", "农机中心", "管农机补贴", "管农业补贴", "管良种"),
        "社保专干": ("医保站", "医保所", "医保办", "医保窗口", "社保窗口", "管医疗保险",
                     "管养老保险", "管合作医疗"),
        "财政专干": ("财政", "财政分局", "管工资", "发工资", "管一卡通", "一卡通", "管拨款"),
        "国土专干": ("土地所", "宅基地", "城建", "城建办", "村镇建设", "建设办", "管宅基"),
        "林业员": ("林业站", "林业", "林权", "管林权", "管林业", "砍伐证", "管砍伐", "管砍树",
                   "管树"),
        "水利员": ("水利站", "水利", "水务站", "水管站", "管渠", "管水利", "管水库", "管堰塘"),
    },
    "phrase": {
        "酒席": ("办酒", "办酒席", "坝坝宴", "宴席", "流水席", "摆酒", "酒宴", "席面"),
        "厨师": ("厨子", "大厨", "掌勺"),
        "住院": ("医院", "进医院", "送医院"),
    },
}

# The everyday words' kind: a description of a post, read wherever it appears in the field.
EVERYDAY = "everyday"


def seed_rows(seed: dict[str, dict[str, tuple[str, ...]]],
              skip: Iterable[str] = ()) -> list[tuple[str, str, str]]:
    """(kind, alias, canonical) of a seed, each alias once and none of `skip`; the canonical
    spelling maps to itself (a post is always known)."""
    out, seen = [], set(skip)
    for kind, groups in seed.items():
        for canonical, aliases in groups.items():
            for alias in (canonical, *aliases):
                if alias not in seen:
                    seen.add(alias)
                    out.append((kind, alias, canonical))
    return out


_ROWS_0020 = seed_rows(_SEED_0020)
_ROWS_0030 = seed_rows(_SEED_0030, skip=[a for _, a, _ in _ROWS_0020])
_ROWS_0034 = seed_rows(_SEED_0034, skip=[a for _, a, _ in (*_ROWS_0020, *_ROWS_0030)])
_ROWS_0035 = seed_rows(_SEED_0035, skip=[a for _, a, _ in (*_ROWS_0020, *_ROWS_0030, *_ROWS_0034)])
DEFAULT_ALIASES: tuple[tuple[str, str, str], ...] = (
    *_ROWS_0020, *_ROWS_0030, *_ROWS_0034, *_ROWS_0035,
    *seed_rows(_SEED_0037, skip=[a for _, a, _ in (*_ROWS_0020, *_ROWS_0030, *_ROWS_0034,
                                                   *_ROWS_0035)]))

# Words every petition uses, whatever it is about.
_STOP = frozenset("""反映 举报 检举 控告 问题 情况 村民 群众 老百姓 我们 他们 她们 本人 要求 请求
希望 恳请 纪委 监委 上级 领导 有关部门 相关部门 调查 核实 查处 处理 严肃 严重 给予 一个 公道
利用 职务 便利 职务之便 存在 进行 没有 一直 至今 以来 其中 工作 组织 这个 那个 大家 知道
现在 到 的 了 是 在 和 等 都 也 就 还 把 被 给 让 将 其 他 她 我 你 这 那 有 又 说 去 来 请
一下 查 了事 不了了之 敢怒不敢言 根本 人家 真正 听说 少说 前后 一共 共计 累计 实际
已经 每户 每人 每月 每年 每次 自己 自家 家里 亲戚 一些 很多""".split())
# One shared word is chance ("资金", "补贴"): the words count from this many shared on.
MIN_SHARED_WORDS = 2
# One-character words that still say what happened.
_KEEP_SHORT = frozenset("羊牛猪鱼车路桥树林沙砂烟酒卡地")

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_known: set[str] = set()


def tokenizer(extra_words: Iterable[str] = ()) -> jieba.Tokenizer:
    """The process's jieba tokenizer, with every alias known as a word."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)
            tk = jieba.Tokenizer()  # the package's own dict.txt: no download
            tk.initialize()
            _tokenizer = tk
        for word in extra_words:
            if word not in _known and len(word) >= 2:
                _tokenizer.add_word(word, freq=100_000)
                _known.add(word)
        return _tokenizer


# How many post and unit texts an alias table remembers the reading of (then it starts over).
_DESCRIBED_MAX = 50_000


class Aliases:
    """alias -> canonical (normalised); frozen, so prepared petitions can keep a reference."""

    def __init__(self, rows: Iterable[tuple[str, str, str]] = DEFAULT_ALIASES):
        self.rows = tuple(rows)
        self.map: dict[str, str] = {}
        self.posts: dict[str, str] = {}
        self.everyday: dict[str, str] = {}
        self._post_spellings: dict[str, set[str]] = {}
        for kind, alias, canonical in self.rows:
            a, c = _norm(alias), _norm(canonical)
            if a and c:
                {"post": self.posts, EVERYDAY: self.everyday}.get(kind, self.map)[a] = c
                if kind in ("post", EVERYDAY):
                    self._post_spellings.setdefault(c, {c}).add(a)
        # Longest first: "管集体资产" before "管"-anything shorter inside it.
        self._everyday_order = sorted(self.everyday, key=len, reverse=True)
        self._formal = sorted((p for p in self.posts if len(p) >= 2), key=len, reverse=True)
        self.key = hash(self.rows)
        self._words = tokenizer(list(self.map) + list(self.posts)).FREQ
        # Posts and units repeat (every petition about one office names it): each is looked up
        # once. Only ever the same answer for the same text, so threads may share it.
        self._described: dict[str, str] = {}

    def post(self, text: str) -> str:
        """The canonical post `text` (normalized) names: a post alias read whole; the head of
        an office ("农业站当家的": 站长, see head_post); a field that ends in a post's title
        ("民政办主任") as written; otherwise the longest everyday word inside it ("村里管账的":
        村会计), or the errand it names ("办建房手续的": 管建房, 国土专干); otherwise as written."""
        if text in self.posts:
            return self.posts[text]
        if head := head_post(text):
            return head
        if not text or any(text.endswith(p) for p in self._formal):
            return text
        return self.describe(text) or text

    def describe(self, text: str) -> str:
        """The canonical post of the longest everyday word inside `text` (a whole word there:
        not the 民政 of 人民政府), else of the errand `text` names ("负责低保的", "办建房手续的":
        read as 管低保, 管建房); or ""."""
        found = self._described.get(text)
        if found is None:
            found = self._everyday_in(text) or next(
                (post for errand in _ERRAND.finditer(text)
                 if (post := self._everyday_in("管" + errand.group("what")))), "")
            if len(self._described) >= _DESCRIBED_MAX:
                self._described.clear()
            self._described[text] = found
        return found

    def office(self, *texts: str) -> str:
        """The office (as the canonical post of its everyday words: 民政专干 for the 民政 office)
        the first of `texts` that names one speaks of ("社会事务办副主任", "乙镇自然资源所"), or ""."""
        for text in texts:
            head = _HEAD.search(text or "")
            if head and head.start() > 0:
                text = text[:head.end("office")]  # "扶贫办一把手": the office, not the 一把手
            if text and (found := self.describe(text)):
                return found
        return ""

    def _everyday_in(self, text: str) -> str:
        for word in self._everyday_order:
            at = text.find(word)
            while at >= 0:
                if not self._inside_word(text, at, at + len(word)):
                    return self.everyday[word]
                at = text.find(word, at + 1)
        return ""

    def _inside_word(self, text: str, start: int, end: int) -> bool:
        """Whether text[start:end] lies inside a longer dictionary word that begins before it
        ("民政" in "人民政府"): then it is part of another word, not itself."""
        return any(self._words.get(text[i:j]) for i in range(max(0, start - 3), start)
                   for j in range(end, min(len(text), end + 3) + 1))

    def post_in(self, text: str) -> str:
        """The first post named in running text ("竹溪村的村长把…": 村主任), or ""."""
        best = None
        for word in (*self._formal, *self._everyday_order):
            at = text.find(word)
            while at >= 0 and self._inside_word(text, at, at + len(word)):
                at = text.find(word, at + 1)
            if at >= 0 and (best is None or at < best[0]
                            or at == best[0] and len(word) > len(best[1])):
                best = (at, word)
        if best is None:
            return ""
        word = best[1]
        return self.posts.get(word) or self.everyday.get(word, "")

    def spellings(self, post: str) -> set[str]:
        """Every spelling of a (normalized) post that reads as the same canonical post."""
        canonical = self.post(post)
        return {post, canonical} | self._post_spellings.get(canonical, set())


# An errand a reporter names a cadre by: "负责低保的", "分管敬老院的", "办建房手续的" (the words
# after the verb, up to 的, are looked up as "管" + them among the everyday words).
_ERRAND = re.compile(r"(?:负责|分管|主管|经管|管理|办理|经办|经手|管|办)(?P<what>[^的]{1,8})的")
# The head of an office: "农业站当家的", "财政所管事的", "扶贫办的头儿", "民政办一把手" (the
# office is what the unit or the everyday words say; the post is its head's title).
_HEAD = re.compile(r"(?P<office>站|所|办|中心|局)的?(?:当家的|当家人|当家|管事的|管事儿的|"
                   r"管事|头儿|头头|一把手|老大|负责人|领导|头)")
_HEAD_TITLES = {"站": "站长", "所": "所长", "办": "主任", "中心": "主任", "局": "局长"}


def head_post(text: str) -> str:
    """The title of the head of the office `text` (normalized) speaks of ("镇上农业站当家的":
    站长, "财政所的头儿": 所长), or "". Alias-independent: the repeat keys use it too."""
    found = _HEAD.search(text)
    return _HEAD_TITLES[found.group("office")] if found and found.start() > 0 else ""


def _norm(text: str) -> str:
    return normalize(text)


_DEFAULT: Aliases | None = None


def default_aliases() -> Aliases:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Aliases()
    return _DEFAULT


# ------------------------------------------------------------------------------------------
# Numbers: "12万元", "120000元", "十二万元", "十几万" all become one token "#元:10" (money,
# half-decade bucket of the value); 亩, 只, 间, 户, 人 keep their unit. Years stay exact.

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9, "几": 5}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMBER = re.compile(r"(?:好|近)?(?:\d+(?:\.\d+)?|[零一二两三四五六七八九十百千几]+)"
                     r"[十百千几多余来]*万?[多余来]?(?P<unit>元|块|亩|只|间|户|人|桌|年|头|车)?")
_VAGUE = re.compile(r"[几多余来近好]|[一二两三四五六七八九][二两三四五六七八九](?=[十百千万]|$)")
_COUNT_UNITS = {"亩", "只", "间", "户", "人", "桌", "头", "车"}


def _cn_value(text: str) -> float | None:
    """The value of a Chinese or Arabic numeral, vague ones at their middle ("十几万": 150000)."""
    text = text.lstrip("好近")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(千|万)?([多余来])?(万)?", text)
    if m:
        value = float(m.group(1)) * {"千": 1e3, "万": 1e4, None: 1}[m.group(2)]
        if m.group(3):
            value *= 1.1
        return value * (1e4 if m.group(4) else 1)
    # "一两万", "六七万": two neighbouring digits mean about their middle.
    text = re.sub(r"([一二两三四五六七八九])([二两三四五六七八九])(?=[十百千万]|$)",
                  lambda g: g.group(1) + "5" if _CN_DIGITS[g.group(2)] - _CN_DIGITS[
                      g.group(1)] == 1 else g.group(0), text)
    total, section, num, last_unit = 0.0, 0.0, None, 1.0
    for ch in text:
        if ch == "5" and num is not None:
            num += 0.5
        elif ch in _CN_DIGITS:
            num = float(_CN_DIGITS[ch])
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            section += (1.0 if num is None else num) * unit
            num, last_unit = None, unit
        elif ch == "万":
            section += num or 0.0
            total += section * 1e4
            section, num, last_unit = 0.0, None, 1e4
        elif ch in "多余来":
            section += (num or 0.0) + last_unit / 2 if last_unit > 1 else (num or 0.0) + 0.5
            num = None
        else:
            return None
    value = total + section + (num or 0.0)
    return value or None


def number_tokens(text: str) -> tuple[list[str], str]:
    """Tokens for the numbers in `text` (NFKC) and the text with them cut out."""
    tokens: list[str] = []

    def take(m: re.Match) -> str:
        unit = m.group("unit")
        raw = m.group(0)[:-1] if unit else m.group(0)
        value = _cn_value(raw)
        if value is None or value < 2:
            return m.group(0)
        if unit == "年":
            tokens.append(f"#年:{int(value)}")
        else:
            kind = unit if unit in _COUNT_UNITS else "元"
            if kind == "元" and unit is None and value < 100 and "万" not in raw:
                return m.group(0)  # a bare small number: "三年", "两层" say little
            # A vague number ("一两万", "十几万") stands for a range: every bucket it touches.
            spread = (0.7, 1.4) if _VAGUE.search(raw) else (1.0, 1.0)
            low, high = (round(2 * math.log10(value * f)) for f in spread)
            tokens.extend(f"#{kind}:{b}" for b in range(low, high + 1))
        return " "

    rest = _NUMBER.sub(take, text)
    return tokens, rest


def matter_words(pieces: Iterable[str], raw_content: str, aliases: Aliases) -> frozenset[str]:
    """The canonical words and number tokens of a petition's matter. A compound also gives its
    dictionary parts ("工程质量": 工程, 质量; "低保户": 低保), so one reporter's 低保户 meets
    another's 低保金, and 招投标 meets 投标."""
    numbers, _ = number_tokens(unicodedata.normalize("NFKC", raw_content or ""))
    tk = tokenizer()
    words = set(numbers)

    def take(word: str) -> None:
        word = aliases.map.get(word, word)
        if word in _STOP or word.isdigit() or word in aliases.posts:
            return  # a post is who, not what
        if len(word) >= 2 or word in _KEEP_SHORT:
            words.add(word)

    for piece in pieces:
        _, piece = number_tokens(piece)
        for word in tk.lcut(piece.replace(" ", "")):
            if word in aliases.posts:
                continue
            take(word)
            if len(word) >= 3 and word not in aliases.map:
                for part in tk.cut_for_search(word):
                    if part != word and len(part) >= 2:
                        take(part)
    return frozenset(words)


def word_dice(a: frozenset[str], b: frozenset[str],
              min_shared: int = MIN_SHARED_WORDS) -> float | None:
    if not a or not b:
        return None
    shared = len(a & b)
    return 2 * shared / (len(a) + len(b)) if shared >= min_shared else 0.0


__all__ = ["Aliases", "DEFAULT_ALIASES", "default_aliases", "head_post", "matter_words",
           "number_tokens", "tokenizer", "word_dice"]

