"""Repeat-petition ranking: how likely a new petition is the same matter as an indexed one."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from functools import cached_property
from datetime import datetime
from typing import Any
from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from engine.petitions import words as _words
from engine.petitions.words import normalize  # noqa: F401  (one normalisation, used here)

# A suggestion below this is not shown. On tests/fixtures/repeat_pairs.yaml true repeats score
# 0.48-1.0 against their original, while no non-repeat scores above 0.42 against anything (the
# same cadre on another matter, another cadre of the same village on the same kind of matter).
# Set a little nearer the repeats than the middle of that gap: a missed repeat is counted twice,
# a wrong suggestion only costs the clerk a glance.
DEFAULT_THRESHOLD = 0.45

# Identity (who): the person, confirmed by the place. The place only scales the person (down to
# PLACE_FLOOR when it disagrees), because a village has many cadres: another named person in the
# same village is another person. Fields missing on either side drop out of the means instead
# of counting as a mismatch.
PLACE_FLOOR = 0.8
TOWNSHIP_WEIGHT, VILLAGE_WEIGHT = 0.5, 0.5
# score = identity^IDENTITY_EXPONENT * matter^MATTER_EXPONENT: the matter weighs more, because
# the same cadre is often reported again for something else.
IDENTITY_EXPONENT, MATTER_EXPONENT = 0.4, 0.6
# Content is compared without the names, posts and places (those are identity, and would make
# every petition about one cadre look alike). Two wordings of the same matter seldom share more
# than this bigram Dice, so it already counts as a full content match.
CONTENT_FULL_DICE = 0.4
# The same on words (jieba, aliases applied, numbers as tokens): reporters share few words.
WORD_FULL_DICE = 0.3
WORDS_MIN_PERSON = 0.5
# A different category (not even the same group) takes this share off the content match; it
# does not add when equal, since one cadre's petitions tend to share a category anyway. Small:
# the category is a hint, reporters pick different ones for the same matter.
CATEGORY_PENALTY = 0.1
# An accused known only by post and unit ("石桥村支书") is likely but not surely the same person;
# with no accused to compare at all, the place is all there is.
UNNAMED_PERSON_CAP = 0.8
# Only the surname is known ("王主任", "王某"): this much when it agrees, up to SURNAME_POST_MAX
# when the post agrees too.
SURNAME_MATCH, SURNAME_POST_MAX = 0.6, 0.85
# Two posts of the same township office (民政专干 and the 社会事务办's 副主任) agree as much as two
# spellings of one post that contain each other.
OFFICE_MATCH = 0.8
NO_PERSON_CAP = 0.5
# The same full name, written in full on both sides, where the township does not disagree, and
# one side gives the name alone (no post, no unit, no village): a reporter who knows only the
# name retells the matter in their own words, so the matter needs to agree less — one shared
# word counts, and the matter weighs this much instead. Where both sides say who and where in
# full, the wording decides as before (the same cadre's other matters are the usual petitions).
NAMED_MATTER_EXPONENT = 0.4
NAMED_MIN_SHARED_WORDS = 1
# Petitions more than a year apart are less likely to be the same open matter.
RECENT_DAYS, STALE_DAYS, STALE_FACTOR = 365, 3 * 365, 0.85

# Bottom-k bigram sketch: when one key has more candidates than its shortlist keeps, the
# closest wordings by this short string (scored fast in C++) are kept.
SKETCH_SIZE = 24

# ------------------------------------------------------------------------------------------
# Normalisation

# Every BMP code point that is punctuation, a symbol, a separator or a control character maps
# to None, so one str.translate strips Chinese and ASCII punctuation and all whitespace.


# Titles petitioners append to or put before a name ("张三书记", "村支书张三"), longest first so
# "副主任" goes before "主任".
_TITLES = sorted({
    "党支部书记", "支部书记", "副书记", "书记", "支书", "村支书", "村书记", "副主任", "主任",
    "村主任", "村长", "组长", "队长", "会计", "出纳", "文书", "报账员", "副镇长", "镇长",
    "副乡长", "乡长", "副所长", "所长", "站长", "副局长", "局长", "科长", "股长", "委员",
    "主席", "同志", "老板", "干部", "网格员", "监委主任", "大队长", "社长",
}, key=len, reverse=True)
# Names petitioners write when they do not know or will not give the full name ("王某某").
_ANONYMOUS = str.maketrans("", "", "某x×")
# "小邱", "老王": the character after the prefix is the surname (neither 小 nor 老 is a common
# surname, so a two-character name starting with one is a nickname).
_NICKNAME_PREFIXES = "小老"
# How people address a cadre by the surname: "钱头儿", "老钱头", "尹姐", "柏大姐", "邬叔". Only
# read so when one character (the surname) remains, with or without 老/小 before it.
# Siblings' order after the surname reads the same way: "蔺老二", "邴老三", "卢老幺", "钱二哥",
# "柏三婶" ("蔺老二" is the second brother of the 蔺 family, not a given name).
_KIN_ADDRESSES = "姐哥嫂叔婶伯爷姨"
_ADDRESS_SUFFIXES = frozenset({"头儿", "老头", "头", *_KIN_ADDRESSES,
                               *(f"老{n}" for n in "大二三四五六七八九幺"),
                               *(n + k for n in "大二三四五六七八九幺" for k in _KIN_ADDRESSES)})
_ADDRESS_MAX = max(map(len, _ADDRESS_SUFFIXES))


@dataclass(frozen=True)
class _Name:
    """A normalized accused name; `surname_only` when only the family name is known."""
    text: str
    surname_only: bool
    title: str = ""  # a title written with the name ("王主任": "主任")


def _name(raw: str | None) -> _Name | None:
    """The comparable core of a name: titles and anonymising marks removed."""
    text = normalize(raw)
    found = ""
    changed = True
    while changed and text:
        changed = False
        for title in _TITLES:
            # Only strip when something remains, so a two-character name is never emptied.
            if text.endswith(title) and len(text) > len(title):
                text, changed, found = text[: -len(title)], True, found or title
                break
            if text.startswith(title) and len(text) - len(title) >= 2:
                text, changed, found = text[len(title):], True, found or title
                break
    text = text.translate(_ANONYMOUS)
    if not text:
        return None
    for size in range(_ADDRESS_MAX, 0, -1):  # the longest address first
        rest = text[:-size]
        if text[-size:] in _ADDRESS_SUFFIXES and (len(rest) == 1 or len(rest) == 2
                                                 and rest[0] in _NICKNAME_PREFIXES):
            text = rest
            break
    if len(text) == 2 and text[0] in _NICKNAME_PREFIXES:
        return _Name(text[1], True, found)
    return _Name(text, len(text) == 1, found)


def _reads_as_post(text: str, aliases: _words.Aliases | None) -> bool:
    """Whether a name field holds a post instead of a name ("村长", "管社保的", "村里管账的")."""
    if not text:
        return False
    if aliases is None:  # the alias-independent keys: only the titles and heads the code knows
        return text in _TITLES or bool(_words.head_post(text))
    return (text in aliases.posts or bool(_words.head_post(text))
            or ("的" in text and bool(aliases.describe(text))))


def _post(raw: str | None, aliases: _words.Aliases) -> str:
    """The canonical spelling of a post (the alias table), or its normalized text."""
    return aliases.post(normalize(raw))


# Suffixes that do not distinguish one village or unit from another ("红旗村委会" is "红旗村").
_PLACE_SUFFIXES = sorted(["村民委员会", "村委会", "村委", "居民委员会", "居委会", "社区", "村",
                          "人民政府", "镇政府", "乡政府", "政府", "镇", "乡", "街道"],
                         key=len, reverse=True)


# A village's group ("鹁鸪岭村三组", "红旗村第二村民小组") and the township written before it
# ("丙镇鹁鸪岭村"): the same village to a reporter, so the same place key.
_PLACE_GROUP = re.compile(r"(?:第?[一二三四五六七八九十0-9]+(?:村民|居民)?小?组|(?:村民|居民)小组)$")
_PLACE_TOWN = re.compile(r"^.{1,4}?(?:镇|乡|街道|街办)(?=.{2,})")


def _place(raw: str | None, village: bool = False) -> str:
    """The distinctive part of a village or unit name (of a village: without its group and
    the township before it)."""
    text = normalize(raw)
    if village and len(grouped := _PLACE_GROUP.sub("", text)) >= 2:
        text = grouped
    stripped = True
    while stripped:
        stripped = False
        for suffix in _PLACE_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text, stripped = text[: -len(suffix)], True
                break
    if village and len(text) >= 4 and (town := _PLACE_TOWN.match(text)):
        text = text[town.end():]
    return text


def _village(raw: str | None) -> str:
    """A village as its place key and comparison see it ("丙镇鹁鸪岭村三组": 鹁鸪岭)."""
    return _place(raw, village=True)


def _unit(raw: str | None) -> str:
    """A unit as compared: its distinctive part, or the whole name when that part would be a
    single character ("丁镇" stays "丁镇", so it is found inside "丁镇财政所")."""
    place = _place(raw)
    return place if len(place) >= 2 else normalize(raw)


# Related categories count as half a match: a petitioner may file one 扶贫 matter as 低保.
_CATEGORY_GROUPS = {
    "welfare": ("惠民资金", "扶贫", "低保", "惠农补贴", "危房改造", "救助", "养老保险", "医保"),
    "assets": ("集体三资", "三资", "集体资产", "集体资金", "集体资源", "村务财务"),
    "land": ("征地拆迁", "征地", "拆迁", "土地"),
    "projects": ("工程建设", "招投标", "工程", "项目"),
    "style": ("八项规定", "四风", "公款吃喝", "违规收送", "礼金", "公车"),
    "gangs": ("涉黑涉恶", "保护伞", "村霸", "黑恶"),
    "elections": ("换届纪律", "换届", "贿选", "拉票"),
    "gambling": ("赌博",),
    "petty": ("吃拿卡要", "优亲厚友", "微腐败"),
}
# The category codes of engine/petitions/models.py, so codes and Chinese labels compare.
_CATEGORY_CODES = {
    "welfare_funds": "welfare", "collective_assets": "assets", "land_requisition": "land",
    "construction_bidding": "projects", "eight_rules": "style", "organised_crime": "gangs",
    "election_discipline": "elections", "gambling": "gambling", "service_window": "petty",
}


# "Other" says nothing about the matter; comparing it would reward two unclassified petitions.
_UNKNOWN_CATEGORIES = {"", "other", "其他", "其它"}


def _category_group(category: str) -> str:
    """The group a normalized category belongs to, or the category itself."""
    if category in _CATEGORY_CODES:
        return _CATEGORY_CODES[category]
    for group, words in _CATEGORY_GROUPS.items():
        if any(normalize(w) in category for w in words):
            return group
    return category


# Bigrams of boilerplate every petition uses; they would make unrelated petitions look alike.
_BOILERPLATE = (
    "反映", "举报", "检举", "控告", "问题", "情况", "村民", "群众", "老百姓", "我们", "他们",
    "本人", "要求", "请求", "希望", "恳请", "纪委", "监委", "上级", "领导", "有关部门",
    "相关部门", "调查", "核实", "查处", "处理", "严肃", "严重", "给予", "一个", "公道",
    "利用职务便利", "职务之便", "存在", "进行", "没有", "一直", "至今", "以来", "其中",
    "工作", "组织", "这个", "那个", "的", "了", "是", "在", "和", "等",
)
# Posts as they appear inside content: identity, not matter, so they are cut out of it.
_POST_WORDS = sorted({normalize(w) for w in (
    "党总支书记", "党支部书记", "村支书", "支书", "副书记", "书记", "村委会主任", "村主任",
    "副主任", "主任", "村委会委员", "村委委员", "委员", "村委会", "村委", "会计", "报账员",
    "出纳", "文书", "组长", "村长", "镇长", "副镇长", "乡长", "所长", "副所长", "站长",
    "协理员", "网格员", "干部", "村干部")}, key=len, reverse=True)
_STOP_BIGRAMS = frozenset(g for phrase in _BOILERPLATE for g in
                          (normalize(phrase)[i:i + 2] for i in range(len(normalize(phrase)) - 1)))


def _matter_text(content: str, identity_words: Iterable[str]) -> list[str]:
    """The normalized content cut at every name, post and place: what the petition is about."""
    pieces = [normalize(content)]
    for word in sorted({w for w in identity_words if len(w) >= 2} | set(_POST_WORDS),
                       key=len, reverse=True):
        pieces = [part for piece in pieces for part in piece.split(word) if part]
    return pieces


def _bigram_code(pieces: list[str]) -> str:
    """Sorted distinct hashed bigrams of the pieces, one code point per bigram."""
    # Chinese has no spaces, so bigrams stand in for words. With sorted distinct symbols the
    # longest common subsequence is the intersection, so rapidfuzz's Indel ratio of two codes
    # (C++, bit-parallel) is the Dice coefficient of the bigram sets, which ignores word order.
    # The first SKETCH_SIZE symbols are a bottom-k sketch of the set, for the fast shortlist.
    grams = {text[i:i + 2] for text in pieces for i in range(len(text) - 1)} - _STOP_BIGRAMS
    codes = set()
    for gram in grams:
        # A fixed multiplicative hash (not hash(), which changes per process) spreads bigrams
        # evenly, so the lowest codes are a fair sample of the set.
        value = (ord(gram[0]) << 21) | ord(gram[1])
        point = (((value * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF) >> 44) + 0x100
        codes.add(point + 0x800 if point >= 0xD800 else point)  # skip the surrogate block
    return "".join(map(chr, sorted(codes)))


# ------------------------------------------------------------------------------------------
# Features


@dataclass
class PetitionFeatures:
    """What the repeat check compares: the accused, place, category, text and date."""
    petition_id: int
    accused: list[dict] = field(default_factory=list)  # [{"name", "post", "unit"}]
    township: str = ""      # unit code, e.g. "town-a"
    village: str = ""
    category: str = ""
    content: str = ""
    received_at: datetime | None = None  # aware

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PetitionFeatures:
        """Build from a plain dict with the same keys (missing keys are empty)."""
        return cls(petition_id=int(data["petition_id"]),
                   accused=list(data.get("accused") or []),
                   township=data.get("township") or "", village=data.get("village") or "",
                   category=data.get("category") or "", content=data.get("content") or "",
                   received_at=data.get("received_at"))


@dataclass(frozen=True)
class _Accused:
    name: _Name | None
    post: str
    unit: str
    gender: str = ""  # "f", "m" or "" (not said)
    # The township office the post or unit speaks of (as its post: 民政专干 for "社会事务办副主任",
    # "管低保的", "民政助理员"), and the one the unit alone names ("乙镇自然资源所": 国土专干).
    office: str = ""
    unit_office: str = ""

    @property
    def offices(self) -> frozenset[str]:
        """Every office the post or the unit speaks of ("农机站管补贴的": the 农机 station's
        and the 财政 office's errand): one reporter names the errand, another the unit."""
        return frozenset(o for o in (self.office, self.unit_office) if o)


# Whether the accused is a woman or a man, where a petition says so: in a description or an
# address ("民政上的女干部", "柏大姐", "老钱叔"), or, with one accused, through the spouse the text
# gives them ("其丈夫", "他老婆"). Never from a full name (张建男 is a name).
_FEMALE_MARKS = ("女", "妇", "姐", "嫂", "婶", "姨", "奶奶", "大娘")
_MALE_MARKS = ("男", "哥", "叔", "伯", "爷")
_FEMALE_TEXT = ("其丈夫", "其老公", "她丈夫", "她老公", "她男人")
_MALE_TEXT = ("其妻", "其老婆", "他老婆", "他妻子", "他媳妇", "他爱人")
# Another gender makes another person likely, not certain (a reporter may be wrong).
GENDER_MISMATCH = 0.8


def _gender(*texts: str) -> str:
    female = any(m in t for t in texts for m in _FEMALE_MARKS)
    male = any(m in t for t in texts for m in _MALE_MARKS)
    return "f" if female and not male else "m" if male and not female else ""


def _text_gender(content: str) -> str:
    female = any(m in content for m in _FEMALE_TEXT)
    male = any(m in content for m in _MALE_TEXT)
    return "f" if female and not male else "m" if male and not female else ""


@dataclass(frozen=True)
class _Prepared:
    """A petition normalized once, so scoring it many times is cheap."""
    petition_id: int
    accused: tuple[_Accused, ...]
    township: str
    village: str
    category: str
    group: str
    code: str
    received_at: datetime | None
    pieces: tuple[str, ...] = ()
    raw_content: str = ""
    aliases: _words.Aliases | None = None

    @property
    def aliases_key(self) -> int:
        return self.aliases.key if self.aliases else 0

    @cached_property
    def words(self) -> frozenset[str]:
        """The matter's words: segmenting is the slow part (~1 ms), so it is done on first
        comparison with a likely same person, not when the petition is indexed."""
        return _words.matter_words(self.pieces, self.raw_content, self.aliases)

    @property
    def sketch(self) -> str:
        return self.code[:SKETCH_SIZE]


def _get(accused: Any, key: str) -> str:
    """A field of an accused person given as a dict or as an object (e.g. AccusedPerson)."""
    value = accused.get(key) if isinstance(accused, Mapping) else getattr(accused, key, None)
    return value or ""


def _accused(raw: Any, aliases: _words.Aliases) -> _Accused:
    written = normalize(_get(raw, "name"))
    post = normalize(_get(raw, "post"))
    unit = normalize(_get(raw, "unit"))
    unit_office = aliases.office(unit)
    if not post and _reads_as_post(written, aliases):
        # "村长" or "管社保的" in the name field: a post, nobody named.
        canonical = _post(written, aliases)
        return _Accused(None, canonical, _unit(unit), _gender(written),
                        aliases.office(written, canonical) or unit_office, unit_office)
    name = _name(written)
    # "王主任" with no post: the title is the post.
    said = [post] + ([written] if name and name.surname_only else [])
    post = post or (name.title if name else "")
    canonical = _post(post, aliases)
    return _Accused(name, canonical, _unit(unit), _gender(*said),
                    aliases.office(post, canonical) or unit_office, unit_office)


def _content_post(content: str, aliases: _words.Aliases) -> str:
    """The post a petition that names nobody speaks of in its text ("竹溪村的村长把…")."""
    return aliases.post_in(normalize(content))


def prepare(petition: PetitionFeatures | Mapping[str, Any] | _Prepared,
             aliases: _words.Aliases | None = None) -> _Prepared:
    """Normalize every field of a petition once."""
    aliases = aliases or _words.default_aliases()
    if isinstance(petition, _Prepared) and petition.aliases_key == aliases.key:
        return petition
    if isinstance(petition, _Prepared):
        raise ValueError("petition prepared with another alias table")
    if not isinstance(petition, PetitionFeatures):
        petition = PetitionFeatures.from_mapping(petition)
    accused = tuple(_accused(a, aliases) for a in petition.accused)
    if len(accused) == 1 and not accused[0].gender:
        accused = (replace(accused[0], gender=_text_gender(petition.content or "")),)
    category = normalize(petition.category)
    if category in _UNKNOWN_CATEGORIES:
        category = ""
    village = _village(petition.village)
    identity_words = [village, normalize(petition.village)]
    for raw, a in zip(petition.accused, accused, strict=True):
        identity_words += [normalize(_get(raw, "name")), normalize(_get(raw, "unit")), a.unit]
        if a.name and not a.name.surname_only:
            identity_words.append(a.name.text)
    pieces = _matter_text(petition.content, identity_words)
    accused = tuple(a for a in accused if a.name or a.post or a.unit)
    if not accused and (post := _content_post(petition.content, aliases)):
        accused = (_Accused(None, post, ""),)
    return _Prepared(petition.petition_id, accused,
                     normalize(petition.township), village, category, _category_group(category),
                     _bigram_code(pieces), petition.received_at, tuple(pieces),
                     petition.content or "", aliases)


# ------------------------------------------------------------------------------------------
# Scoring


def _name_similarity(a: _Name, b: _Name) -> float:
    """1 for the same name; high for one typo or homophone; near 0 for another person."""
    if a.surname_only or b.surname_only:
        # "王某某" or "赵村长": the surname is all that can agree.
        return SURNAME_MATCH if a.text[0] == b.text[0] else 0.0
    if a.text == b.text:
        return 1.0
    distance = Levenshtein.distance(a.text, b.text, score_cutoff=2)
    if distance == 1:
        if len(a.text) != len(b.text):
            return 0.6   # "李明" / "李小明": often another person
        if a.text[0] != b.text[0]:
            # Surname miswritten ("章" for "张"), but a shared given name ("春华") is common.
            return 0.5
        return 0.8 if len(a.text) >= 3 else 0.65  # one given-name character (homophone)
    # Sharing only a surname or one character is normal between different people in a village.
    return 0.25 * Levenshtein.normalized_similarity(a.text, b.text)


def _text_similarity(a: str, b: str) -> float | None:
    """1 for equal, high when one contains the other, None when either is unknown."""
    if not a or not b:
        return None
    if a == b:
        return 1.0
    return 0.8 * fuzz.partial_ratio(a, b) / 100 if min(len(a), len(b)) >= 2 else 0.0


def _village_similarity(a: str, b: str) -> float | None:
    """Villages are the same or not: "桂花" and "莲花" are neighbours, not spellings."""
    if not a or not b:
        return None
    if a == b:
        return 1.0
    return 0.9 if a in b or b in a else 0.0  # "甲镇红旗" / "红旗"


def _post_similarity(a: _Accused, b: _Accused) -> float | None:
    """How well the posts agree; the same township office counts as much as a near spelling
    ("管低保的女干部" and the 社会事务办副主任: both of the 民政 office)."""
    same = _text_similarity(a.post, b.post)
    if a.offices & b.offices:
        return max(same or 0.0, OFFICE_MATCH)
    return same


def _unit_similarity(a: _Accused, b: _Accused) -> float | None:
    same = _text_similarity(a.unit, b.unit)
    if same is not None and a.unit_office and a.unit_office == b.unit_office:
        return max(same, OFFICE_MATCH)  # "甲镇农业站" and "甲镇农业综合服务站"
    return same


def _role_similarity(a: _Accused, b: _Accused) -> float | None:
    """How well post and unit agree, or None when neither can be compared."""
    parts = [s for s in (_post_similarity(a, b), _unit_similarity(a, b)) if s is not None]
    return sum(parts) / len(parts) if parts else None


def _person_similarity(a: _Accused, b: _Accused) -> float | None:
    """Whether two accused are the same person: the name decides, post and unit confirm; a
    woman and a man are likely two people."""
    same = _same_person(a, b)
    if same is not None and a.gender and b.gender and a.gender != b.gender:
        return same * GENDER_MISMATCH
    return same


def _same_person(a: _Accused, b: _Accused) -> float | None:
    role = _role_similarity(a, b)
    if a.name and b.name:
        name = _name_similarity(a.name, b.name)
        if name == SURNAME_MATCH and (a.name.surname_only or b.name.surname_only):
            # "王主任" and 王秀英, 村委会主任: the same surname in the same post.
            post = _post_similarity(a, b)
            if post:
                return SURNAME_MATCH + (SURNAME_POST_MAX - SURNAME_MATCH) * post
        # The same post in the same village held by another name is another person (a
        # successor, a colleague), so role only scales the name, never replaces it.
        return name if role is None else name * (0.8 + 0.2 * role)
    return None if role is None else UNNAMED_PERSON_CAP * role


def _mean(parts: Iterable[tuple[float, float | None]]) -> float | None:
    """Weighted mean over the parts that are known."""
    known = [(w, v) for w, v in parts if v is not None]
    total = sum(w for w, _ in known)
    return sum(w * v for w, v in known) / total if total else None


def _exact(a: str, b: str) -> float | None:
    """1 or 0, or None when either side is unknown."""
    return None if not a or not b else float(a == b)


def _name_only(a: _Accused, p: _Prepared) -> bool:
    """Whether a petition says who its accused is by the name alone."""
    return not a.post and not a.unit and not p.village


def components(query: PetitionFeatures | Mapping | _Prepared,
               candidate: PetitionFeatures | Mapping | _Prepared,
               aliases: _words.Aliases | None = None) -> dict[str, float | None]:
    """The parts score() combines (None: not stated on one side), for tuning and display."""
    q = prepare(query, aliases)
    c = prepare(candidate, aliases)
    person = max((s for qa in q.accused for ca in c.accused
                  if (s := _person_similarity(qa, ca)) is not None), default=None)
    township = _exact(q.township, c.township)
    named = township != 0.0 and any(
        qa.name and ca.name and not qa.name.surname_only and not ca.name.surname_only
        and len(qa.name.text) >= 2 and qa.name.text == ca.name.text
        and (_name_only(qa, q) or _name_only(ca, c))
        for qa in q.accused for ca in c.accused)
    village = _village_similarity(q.village, c.village)
    # The surname alone, with no post or title ("厍老二", "老厍", "厍某"), in the very village of
    # a full name with that surname: a neighbour who knows the family retells the matter in
    # their own words, as one who knows only the name does. ("马支书" has its post to agree.)
    named = named or (village == 1.0 and township != 0.0 and any(
        qa.name and ca.name and qa.name.surname_only != ca.name.surname_only
        and qa.name.text[0] == ca.name.text[0]
        and not (qa if qa.name.surname_only else ca).post
        for qa in q.accused for ca in c.accused))
    if q.category and c.category:
        category = 1.0 if q.category == c.category else 0.5 if q.group == c.group else 0.0
    else:
        category = None
    dice = fuzz.ratio(q.code, c.code) / 100 if q.code and c.code else None
    # Words only where the person may be the same: elsewhere the identity keeps the score
    # low anyway, and segmenting every candidate would cost ~1 ms each.
    words = _words.word_dice(q.words, c.words,
                             NAMED_MIN_SHARED_WORDS if named else _words.MIN_SHARED_WORDS) \
        if person is not None and person >= WORDS_MIN_PERSON else None
    known = [v for v in (None if dice is None else dice / CONTENT_FULL_DICE,
                         None if words is None else words / WORD_FULL_DICE) if v is not None]
    content = min(1.0, max(known)) if known else None
    if q.received_at and c.received_at:
        days = abs((q.received_at - c.received_at).total_seconds()) / 86400
        recency = 1 - (1 - STALE_FACTOR) * min(1.0, max(0.0, days - RECENT_DAYS)
                                               / (STALE_DAYS - RECENT_DAYS))
    else:
        recency = 1.0
    return {"person": person, "township": township, "village": village, "category": category,
            "dice": dice, "words": words, "content": content, "recency": recency,
            "named": 1.0 if named else 0.0}


def _combine(parts: dict[str, float | None]) -> float:
    """Identity (who, where) and matter (what), joined by a weighted geometric mean."""
    place = _mean([(TOWNSHIP_WEIGHT, parts["township"]), (VILLAGE_WEIGHT, parts["village"])])
    person, matter = parts["person"], parts["content"]
    if person is not None:
        identity = person * (1.0 if place is None else PLACE_FLOOR + (1 - PLACE_FLOOR) * place)
    elif place is not None:
        identity = NO_PERSON_CAP * place
    else:
        return 0.0  # nothing about who: never claim a repeat
    if not matter:
        return 0.0  # nothing in common about what happened
    if parts["category"] is not None:
        matter *= 1 - CATEGORY_PENALTY * (1 - parts["category"])
    # Geometric, not arithmetic: the same cadre on another matter, or the same kind of matter
    # about another cadre, must both fail; a repeat needs who AND what to agree.
    exponent = NAMED_MATTER_EXPONENT if parts.get("named") else MATTER_EXPONENT
    return (identity ** IDENTITY_EXPONENT) * (matter ** exponent) * parts["recency"]


def score(query: PetitionFeatures | Mapping[str, Any],
          candidate: PetitionFeatures | Mapping[str, Any]) -> float:
    """How likely `query` repeats `candidate`, in [0, 1]."""
    return _combine(components(query, candidate))


# ------------------------------------------------------------------------------------------
# Index


# ------------------------------------------------------------------------------------------
# Candidate keys: which indexed petitions a new one is compared with at all.
#
# Recall first: every petition that names the same surname, or the same kind of post, in the
# same village (or township, when no village is given) is a candidate, and so is every petition
# naming the same full name, or a name one character apart (a typo, a dropped given-name
# character), anywhere; so are the newest petitions of the same place, whoever they name. The keys are stored per petition (the `repeat_keys` table, written at
# registration and on every correction), so finding candidates is an index lookup, not a scan.
# Name, place and post keys do not depend on the alias table: a post is stored as written and
# the query asks for every spelling the alias table gives its canonical post, so an
# administrator's edit takes effect on the next check without rewriting any key. The office
# keys ("o|<township>|<office>") do: the office a post or unit speaks of is read with the alias
# table as it is when the keys are written (an edit reaches a petition's office key when it is
# next corrected, or when a migration rewrites every key).

# How many candidates each key contributes, closest wording first (a common surname in a large
# village has many): the same person's key, the exact full name, a name one character apart.
PERSON_SHORTLIST = 500
NAME_SHORTLIST = 200
NEAR_NAME_SHORTLIST = 100
# The place itself (village, or township when no village is given): every petition of it, so a
# repeat that names its cadre in a way no person key connects ("管钱的", no post, a nickname the
# code does not read) is still compared. Only its newest few (engine/petitions/repeats.py reads a
# key that keeps this few no further than that): a village has hundreds of petitions, and the
# person keys find most repeats.
PLACE_SHORTLIST = 50
# The township around a village ("ts|<township>|<surname>", "tp|<township>|<post>"): a petition
# that gives only the township ("老钱头", "管社保的" with no village) finds the same surname or post
# in any of its villages, and one that gives a village also finds the township's own cadres
# (a 社保专干 has no village). Only what a surname or a post alone names is asked for this way
# (a full name is found anywhere through its own key), the newest few of the township.
TOWNSHIP_SHORTLIST = 100
# The township office ("o|<township>|<office>"): a petition that names nobody, or only a surname,
# by an office or an errand ("财政所管钱的", "农机站管补贴的", "管残疾证的女干部") finds every accused
# of that office in the township, whatever post or unit they were written with — the closest
# wordings of its newest, as many as a township key keeps.
OFFICE_SHORTLIST = TOWNSHIP_SHORTLIST
KEY_MAX = 200  # characters (the column's size): longer keys are cut


def _post_key(post: str) -> str:
    """The kind of post, for candidate keys: its last two characters ("村委会委员" and "委员",
    "村民小组长" and "小组长" share one), so one unknown spelling still finds the others."""
    return post[-2:]


def _name_variants(name: str) -> set[str]:
    """The name and, from three characters on, the name with one character left out: two
    names one insertion, deletion or substitution apart share one of these."""
    if len(name) < 3:
        return {name}
    return {name} | {name[:i] + name[i + 1:] for i in range(len(name))}


def _raw_accused(petition: PetitionFeatures,
                 aliases: _words.Aliases | None = None) -> list[tuple[_Name | None, str]]:
    """(name, post as written, normalized) per accused that says anything about them; with
    the alias table (the query's side), a petition naming nobody gets the post its text names."""
    out = []
    for raw in petition.accused:
        written, post = normalize(_get(raw, "name")), normalize(_get(raw, "post"))
        if not post and _reads_as_post(written, aliases):
            name, post = None, written
        else:
            name = _name(written)
            post = post or (name.title if name else "")
        post = _words.head_post(post) or post  # "农业站当家的": 站长
        if name or post or _place(_get(raw, "unit")):
            out.append((name, post))
    if not out and aliases is not None and (post := _content_post(petition.content, aliases)):
        out.append((None, post))
    return out


def _features(petition: PetitionFeatures | Mapping[str, Any]) -> PetitionFeatures:
    return petition if isinstance(petition, PetitionFeatures) \
        else PetitionFeatures.from_mapping(petition)


def _offices(petition: PetitionFeatures, aliases: _words.Aliases,
             query: bool = False) -> set[str]:
    """The township offices the accused's posts and units speak of. Asked by a new petition
    (`query`): only of an accused named by nobody or by the surname alone (a full name finds
    its person through its own keys), and for a petition naming nobody, the office of the post
    its text names (stored keys never read the text: a migration rewrites them without it)."""
    out: set[str] = set()
    for raw in petition.accused:
        accused = _accused(raw, aliases)
        if not query or not accused.name or accused.name.surname_only:
            out |= accused.offices
    if query and not any(_get(raw, "name") or _get(raw, "post") or _get(raw, "unit")
                         for raw in petition.accused):
        if post := _content_post(petition.content, aliases):
            out.add(aliases.office(post))
    return out - {""}


def index_keys(petition: PetitionFeatures | Mapping[str, Any],
               aliases: _words.Aliases | None = None) -> set[str]:
    """The keys a petition is stored under (at most KEY_MAX long); the office keys read the
    alias table (the code's default one when none is given)."""
    petition = _features(petition)
    aliases = aliases or _words.default_aliases()
    place = _village(petition.village) or normalize(petition.township)
    town = normalize(petition.township)
    keys = {f"v|{place}"} if place else set()
    for name, post in _raw_accused(petition):
        if name:
            keys.add(f"s|{place}|{name.text[0]}")
            if town:
                keys.add(f"ts|{town}|{name.text[0]}")
            if not name.surname_only:
                keys |= {f"n|{v}" for v in _name_variants(name.text)}
        if post:
            keys.add(f"p|{place}|{_post_key(post)}")
            if town:
                keys.add(f"tp|{town}|{_post_key(post)}")
    if town:
        keys |= {f"o|{town}|{office}" for office in _offices(petition, aliases)}
    return {k[:KEY_MAX] for k in keys}


def query_keys(petition: PetitionFeatures | Mapping[str, Any],
               aliases: _words.Aliases | None = None) -> dict[str, int]:
    """The keys to look up for a new petition, each with how many of its petitions to keep."""
    petition = _features(petition)
    aliases = aliases or _words.default_aliases()
    village = _village(petition.village)
    town = normalize(petition.township)
    place = village or town
    keys: dict[str, int] = {}

    def want(key: str, keep: int) -> None:
        key = key[:KEY_MAX]
        keys[key] = max(keep, keys.get(key, 0))

    if place:
        want(f"v|{place}", PLACE_SHORTLIST)
    for name, post in _raw_accused(petition, aliases):
        if name:
            want(f"s|{place}|{name.text[0]}", PERSON_SHORTLIST)
            if not name.surname_only:
                for variant in _name_variants(name.text):
                    want(f"n|{variant}",
                         NAME_SHORTLIST if variant == name.text else NEAR_NAME_SHORTLIST)
            elif town:
                want(f"ts|{town}|{name.text[0]}", TOWNSHIP_SHORTLIST)
                if village:
                    want(f"s|{town}|{name.text[0]}", TOWNSHIP_SHORTLIST)
        if post:
            for spelling in aliases.spellings(post):
                want(f"p|{place}|{_post_key(spelling)}", PERSON_SHORTLIST)
                if town and not (name and not name.surname_only):
                    want(f"tp|{town}|{_post_key(spelling)}", TOWNSHIP_SHORTLIST)
                    if village:
                        want(f"p|{town}|{_post_key(spelling)}", TOWNSHIP_SHORTLIST)
    if town:
        for office in _offices(petition, aliases, query=True):
            want(f"o|{town}|{office}", OFFICE_SHORTLIST)
    return keys


def _closest(q: _Prepared, items: list[_Prepared], keep: int) -> list[_Prepared]:
    """The `keep` of `items` whose wording is closest to q (a common name has many)."""
    if len(items) <= keep:
        return items
    found = process.extract(q.sketch, [i.sketch for i in items], scorer=fuzz.ratio, limit=keep)
    return [items[slot] for _, _, slot in found]


def rank(q: _Prepared, groups: Iterable[tuple[int, list[_Prepared]]],
         threshold: float = DEFAULT_THRESHOLD, limit: int = 10) -> list[tuple[int, float]]:
    """(petition_id, score) of likely repeats of q among the candidate groups (each with how
    many of its closest to keep), best first, only scores ≥ the threshold."""
    candidates: dict[int, _Prepared] = {}
    for keep, items in groups:
        for item in _closest(q, items, keep):
            candidates[item.petition_id] = item
    candidates.pop(q.petition_id, None)
    scored = []
    for pid, item in candidates.items():
        parts = components(q, item, q.aliases)
        if (s := _combine(parts)) >= threshold:
            scored.append((pid, round(s, 4), parts["words"] or 0.0, parts["dice"] or 0.0))
    # Ties (a content match counts as full from a point on): the wording shared with the new
    # petition first, so its matter outranks the same person's other matter; then the newer id.
    scored.sort(key=lambda r: (-r[1], -r[2], -r[3], -r[0]))
    return [(pid, s) for pid, s, _, _ in scored[:limit]]


# ------------------------------------------------------------------------------------------
# Index


class RepeatIndex:
    """In-memory candidates for the repeat check, under the same keys as the `repeat_keys`
    table (engine/petitions/repeats.py): for tests, tuning and the benchmarks' synthetic data;
    the application itself looks the keys up in the database."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD,
                 aliases: _words.Aliases | None = None):
        self.threshold = threshold
        self.aliases = aliases or _words.default_aliases()
        self._lock = threading.Lock()
        self._items: dict[int, _Prepared] = {}
        self._keys: dict[int, set[str]] = {}
        self._by_key: dict[str, set[int]] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, petition_id: int) -> bool:
        return petition_id in self._items

    def add(self, features: PetitionFeatures | Mapping[str, Any]) -> None:
        """Index a petition (replacing one with the same id)."""
        self.add_many([features])

    def add_many(self, petitions: Iterable[PetitionFeatures | Mapping[str, Any]]) -> None:
        """Index many petitions."""
        prepared = [(prepare(f, self.aliases), index_keys(f, self.aliases))
                    for f in map(_features, petitions)]  # outside the lock: the slow part
        with self._lock:
            for p, keys in prepared:
                self._remove_locked(p.petition_id)
                self._items[p.petition_id] = p
                self._keys[p.petition_id] = keys
                for key in keys:
                    self._by_key.setdefault(key, set()).add(p.petition_id)

    def remove(self, petition_id: int) -> None:
        """Forget a petition (closed long ago, merged, deleted); unknown ids are ignored."""
        with self._lock:
            self._remove_locked(petition_id)

    def search(self, query: PetitionFeatures | Mapping[str, Any],
               limit: int = 10) -> list[tuple[int, float]]:
        """(petition_id, score) of likely repeats, best first, only scores ≥ the threshold."""
        query = _features(query)
        q = prepare(query, self.aliases)
        with self._lock:
            groups = [(keep, [self._items[pid] for pid in self._by_key.get(key, ())])
                      for key, keep in query_keys(query, self.aliases).items()]
        return rank(q, groups, self.threshold, limit)

    def _remove_locked(self, petition_id: int) -> None:
        self._items.pop(petition_id, None)
        for key in self._keys.pop(petition_id, ()):
            holders = self._by_key.get(key)
            if holders is not None:
                holders.discard(petition_id)
                if not holders:
                    del self._by_key[key]


__all__ = ["DEFAULT_THRESHOLD", "PetitionFeatures", "RepeatIndex", "components", "index_keys",
           "normalize", "prepare", "query_keys", "rank", "score"]

