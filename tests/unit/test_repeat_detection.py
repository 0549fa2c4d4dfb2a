"""Repeat-petition ranking on labelled pairs among generated distractors (no database)."""
from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from engine.petitions import similarity
from engine.petitions.similarity import (DEFAULT_THRESHOLD, PetitionFeatures, RepeatIndex,
                                         normalize, score)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "repeat_pairs.yaml"
SH = timezone(timedelta(hours=8))
NEW_ID_OFFSET = 100_000
DISTRACTOR_ID_OFFSET = 10_000
DISTRACTORS = 200


def _load_pairs() -> list[dict]:
    return yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["pairs"]


PAIRS = _load_pairs()


def _features(petition_id: int, data: dict) -> PetitionFeatures:
    received = data["received_at"]
    if isinstance(received, str):
        received = datetime.fromisoformat(received)
    return PetitionFeatures(petition_id=petition_id, accused=data["accused"],
                            township=data["township"], village=data["village"],
                            category=data["category"], content=data["content"],
                            received_at=received)


# ------------------------------------------------------------------------------------------
# Distractors: realistic petitions about other cadres, in the same townships and villages.

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史"
GIVEN = "国建文明华军平志伟永海春林德红玉秀英兰桂芳丽敏强勇刚涛斌宏辉新东荣庆光利福祥生成才富贵山云峰振"
TOWNSHIPS = {"town-a": "甲镇", "town-b": "乙镇", "town-c": "丙镇", "town-d": "丁镇",
             "town-e": "戊镇", "town-f": "己镇"}
VILLAGES = ["红旗村", "柳树湾村", "石桥村", "青山村", "王家坝村", "新民村", "三合村", "马家沟村",
            "龙泉村", "白杨村", "建设村", "李家庄村", "河西村", "双河村", "杏花村", "南岗村",
            "红星村", "永安村", "上湾村", "花园村", "青龙村", "新华村", "坪上村", "桥头村",
            "黄土坡村", "大石村", "沙坪村", "团结村", "光明村", "胜利村", "长岭村", "清河村"]
VILLAGE_POSTS = ["村党支部书记", "村委会主任", "村会计", "村委会委员", "村民小组长", "村文书",
                 "村监委会主任"]
# Per category: content templates; {v} village, {p} post, {n} name, {t} township, {x} amount,
# {k} a number of households or items, {y} a year.
TEMPLATES = {
    "低保": ["{t}{v}{p}{n}把自家亲戚{k}人纳入低保，其中有人在城里买了房，每月照领低保金。",
             "{v}{p}{n}办理低保要收好处费，每户{x}元，不给钱的困难户评不上。",
             "{v}的低保名单由{p}{n}一个人说了算，村民代表评议会从来没有开过。"],
    "扶贫": ["{t}{v}{p}{n}把扶贫项目的{k}头扶贫羊分给了自己家亲戚养殖，贫困户一只也没分到。",
             "{v}{p}{n}在发放{y}年产业扶贫奖补资金时虚报{k}户，冒领资金{x}元。",
             "{p}{n}把{v}扶贫车间的租金收入{x}元挪作他用，贫困户分红没有兑现。"],
    "惠民资金": ["{t}{v}{p}{n}截留村民的{y}年耕地地力保护补贴{x}元，至今没有发放到户。",
                 "{v}{p}{n}在发放高龄津贴时每人每月扣留二十元，说是村里的管理费。",
                 "{v}{p}{n}把农村危房改造补助{x}元批给了没有危房的亲戚。"],
    "集体三资": ["{t}{v}{p}{n}私自把村集体的{k}亩耕地租给外地老板，租金{x}元没有入账。",
                 "{v}{p}{n}挪用村集体资金{x}元买了私家车，账目至今没有公开。",
                 "{v}{p}{n}把村集体的门面房低价出租给亲戚，每年少收租金{x}元。"],
    "征地拆迁": ["{t}{v}{p}{n}在{y}年的工业园征地中虚报地上附着物，多领补偿款{x}元。",
                 "{v}拆迁时{p}{n}给自己家多算了{k}间房屋面积，套取拆迁补偿{x}元。",
                 "{v}{p}{n}克扣村民的征地补偿款，每户少发{x}元。"],
    "工程建设": ["{t}{v}{p}{n}把村里的文化活动室工程交给自己的亲戚承建，没有招标，工程款超预算{x}元。",
                 "{v}的农田水利工程由{p}{n}的儿子施工，偷工减料，渠道修好就垮了。",
                 "{v}{p}{n}在村道拓宽工程中虚报工程量，多结算工程款{x}元。"],
    "八项规定": ["{t}{v}{p}{n}用村集体资金在饭店吃喝，一年招待费{x}元，发票都开成办公用品。",
                 "{v}{p}{n}逢年过节收受承包户送的烟酒和购物卡。",
                 "{v}{p}{n}女儿升学宴大操大办，摆了{k}桌，村干部每人都被要求随礼。"],
    "涉黑涉恶": ["{t}{v}{p}{n}纠集社会人员强揽村里的土方工程，不让外村的车进场。",
                 "{v}{p}{n}的侄子在村里横行霸道，强收村民的“管理费”，{p}{n}一直包庇。",
                 "{v}{p}{n}带人殴打上访村民，村民报警后不了了之。"],
    "换届纪律": ["{t}{v}{p}{n}在{y}年换届中给选民每人送{x}元，拉票贿选。",
                 "{v}{p}{n}在换届前请村民吃饭拉票，还许诺选上后给大家分集体收益。",
                 "{v}{p}{n}威胁其他候选人退出村委会选举，不退就找人上门闹事。"],
    "赌博": ["{t}{v}{p}{n}在自家开设麻将馆聚众赌博，每天抽头{x}元。",
             "{v}{p}{n}上班时间在茶馆打牌赌钱，一场输赢{x}元。",
             "{v}{p}{n}参与网络赌博，欠下赌债{x}元，村里的账也说不清。"],
    "吃拿卡要": ["{t}{v}{p}{n}给村民盖章开证明要收{x}元，不给钱就一直拖着。",
                 "{v}村民办理宅基地审批，{p}{n}要求先请吃饭送烟才给签字。",
                 "{v}{p}{n}发放粮食补贴时每户扣{x}元跑腿费。"],
}


def _fixture_names() -> set[str]:
    return {normalize(a["name"]) for p in PAIRS for side in ("original", "new")
            for a in p[side]["accused"] if a["name"]}


def distractors(count: int, seed: int = 20260302) -> list[PetitionFeatures]:
    """`count` deterministic petitions about cadres who appear in no fixture pair."""
    rng = random.Random(seed)
    taken = _fixture_names()
    # A village lies in one township: the fixture's where it has one, else a seeded choice.
    township_of = {p[side]["village"]: p[side]["township"] for p in PAIRS
                   for side in ("original", "new") if p[side]["village"] and p[side]["township"]}
    for village in VILLAGES:
        township_of.setdefault(village, rng.choice(sorted(TOWNSHIPS)))
    out = []
    start = datetime(2025, 1, 6, 9, 0, tzinfo=SH)
    while len(out) < count:
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2, 2))))
        if name in taken:
            continue
        taken.add(name)
        village = rng.choice(VILLAGES)
        township = township_of[village]
        post = rng.choice(VILLAGE_POSTS)
        category = rng.choice(list(TEMPLATES))
        content = rng.choice(TEMPLATES[category]).format(
            t=TOWNSHIPS[township], v=village, p=post, n=name, x=rng.choice(
                ("三千", "五千", "八千", "一万二", "两万", "三万五", "六万")),
            k=rng.randint(2, 30), y=rng.choice((2023, 2024, 2025)))
        out.append(PetitionFeatures(
            petition_id=DISTRACTOR_ID_OFFSET + len(out),
            accused=[{"name": name, "post": post, "unit": village}], township=township,
            village=village, category=category, content=content,
            received_at=start + timedelta(hours=rng.randint(0, 24 * 420))))
    return out


@pytest.fixture(scope="module")
def index() -> RepeatIndex:
    idx = RepeatIndex()
    idx.add_many(_features(i, p["original"]) for i, p in enumerate(PAIRS, start=1))
    idx.add_many(distractors(DISTRACTORS))
    return idx


def _rank(idx: RepeatIndex, i: int, pair: dict) -> tuple[int | None, list]:
    """Where the pair's original ranks for its new petition (None: not suggested)."""
    results = idx.search(_features(NEW_ID_OFFSET + i, pair["new"]), limit=10)
    ids = [pid for pid, _ in results]
    return (ids.index(i) + 1 if i in ids else None), results


def test_the_fixture_has_enough_labelled_pairs():
    repeats = [p for p in PAIRS if p["label"] == "repeat"]
    distinct = [p for p in PAIRS if p["label"] == "distinct"]
    assert len(PAIRS) >= 60 and len(repeats) >= 30 and len(distinct) >= 30
    assert {p["kind"] for p in repeats} == {"name_variant", "punctuation_spacing", "reordered"}
    assert {p["kind"] for p in distinct} == {"same_person_different_matter",
                                             "different_person_same_place", "unrelated"}
    assert len({p["id"] for p in PAIRS}) == len(PAIRS)


def test_repeats_are_suggested_in_the_top_3(index):
    repeats = [(i, p) for i, p in enumerate(PAIRS, start=1) if p["label"] == "repeat"]
    missed = []
    for i, pair in repeats:
        rank, results = _rank(index, i, pair)
        if rank is None or rank > 3:
            missed.append(f"{pair['id']} (rank {rank}, got {results[:3]})")
    recall = 1 - len(missed) / len(repeats)
    assert recall >= 0.9, (f"recall@3 = {recall:.3f} over {len(repeats)} repeat pairs "
                           f"(threshold {DEFAULT_THRESHOLD}); missed: {missed}")
    print(f"recall@3 = {recall:.3f} over {len(repeats)} repeat pairs; missed: {missed}")


def test_non_repeats_are_not_suggested_first(index):
    distinct = [(i, p) for i, p in enumerate(PAIRS, start=1) if p["label"] == "distinct"]
    first = []
    for i, pair in distinct:
        rank, results = _rank(index, i, pair)
        if rank == 1:
            first.append(f"{pair['id']} ({pair['kind']}, score {results[0][1]})")
    rate = len(first) / len(distinct)
    assert rate <= 0.1, (f"false-first rate = {rate:.3f} over {len(distinct)} non-repeat pairs "
                         f"(threshold {DEFAULT_THRESHOLD}); ranked first: {first}")
    print(f"false-first rate = {rate:.3f} over {len(distinct)} non-repeat pairs; first: {first}")


def test_distractors_are_distinct_from_each_other():
    # A generated set with repeats inside it would make the distractors a noisy benchmark.
    petitions = distractors(DISTRACTORS)
    assert len({normalize(p.accused[0]["name"]) for p in petitions}) == DISTRACTORS
    assert petitions == distractors(DISTRACTORS)  # deterministic


# ------------------------------------------------------------------------------------------
# normalize and score


@pytest.mark.parametrize("raw, expected", [
    ("张 三", "张三"),
    ("张三，", "张三"),
    ("张　三", "张三"),                      # ideographic space
    ("\t张三\n", "张三"),
    ("【举报】张三！！！", "举报张三"),
    ("“辛苦费”……", "辛苦费"),
    ("ＡＢＣ１２３", "abc123"),              # full-width letters and digits
    ("Hello, World!", "helloworld"),
    ("2,000元；3.5万", "2000元35万"),
    ("", ""),
    (None, ""),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def _petition(pid: int, name: str, content: str, *, category: str = "低保",
              village: str = "红旗村", township: str = "town-a",
              post: str = "村党支部书记") -> PetitionFeatures:
    return PetitionFeatures(petition_id=pid, accused=[{"name": name, "post": post,
                                                       "unit": village}],
                            township=township, village=village, category=category,
                            content=content, received_at=datetime(2026, 3, 2, tzinfo=SH))


ORIGINAL = _petition(1, "张建国", "红旗村支书张建国把有楼房有轿车的弟媳一家评成低保户，"
                                 "困难的五保老人却评不上。")
REPEAT = _petition(2, "张建国书记", "举报张建国：他弟媳家盖了楼还买了小轿车，照样吃低保，"
                                   "村里五保老人申请几次都评不上。")
SAME_PERSON_OTHER_MATTER = _petition(3, "张建国", "红旗村支书张建国经常在镇上茶馆打牌赌博，"
                                                  "一晚上输赢上万元。", category="赌博")
OTHER_PERSON_SAME_PLACE = _petition(4, "刘长海", "红旗村会计刘长海把自己有退休金的母亲纳入"
                                                 "低保，每月领取低保金。", post="村会计")


def test_score_orders_repeat_above_same_person_above_other_person():
    repeat = score(REPEAT, ORIGINAL)
    same_person = score(SAME_PERSON_OTHER_MATTER, ORIGINAL)
    other_person = score(OTHER_PERSON_SAME_PLACE, ORIGINAL)
    assert repeat > same_person and repeat > other_person, (repeat, same_person, other_person)
    assert repeat >= DEFAULT_THRESHOLD > max(same_person, other_person)
    assert all(0.0 <= s <= 1.0 for s in (repeat, same_person, other_person))


@pytest.mark.parametrize("variant", ["张建国", "张 建 国", "张建国　", "张建国书记", "村支书张建国",
                                     "张建国（书记）", "张建囯", "张建华"])
def test_name_variants_still_match(variant):
    assert score(_petition(9, variant, ORIGINAL.content), ORIGINAL) >= 0.8


@pytest.mark.parametrize("variant", ["章建国", "张国", "张书记", "张某某"])
def test_weaker_name_variants_still_pass_the_threshold(variant):
    assert score(_petition(9, variant, ORIGINAL.content), ORIGINAL) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize("other", ["李建军", "王春华", "刘长海"])
def test_another_name_with_the_same_wording_is_not_a_repeat(other):
    assert score(_petition(9, other, ORIGINAL.content), ORIGINAL) < DEFAULT_THRESHOLD


def test_score_is_symmetric_enough_and_one_for_identical():
    assert score(ORIGINAL, ORIGINAL) == pytest.approx(1.0)
    assert score(REPEAT, ORIGINAL) == pytest.approx(score(ORIGINAL, REPEAT), abs=0.05)


def test_nothing_in_common_scores_zero():
    other = _petition(5, "欧阳明", "竹园村支书用集体资金组织村干部外出旅游。", category="八项规定",
                      village="竹园村", township="town-e")
    assert score(other, ORIGINAL) < 0.1


def test_score_accepts_plain_dicts():
    as_dict = {"petition_id": 7, "accused": REPEAT.accused, "township": "town-a",
               "village": "红旗村", "category": "低保", "content": REPEAT.content,
               "received_at": REPEAT.received_at}
    assert score(as_dict, ORIGINAL) == pytest.approx(score(REPEAT, ORIGINAL))


# ------------------------------------------------------------------------------------------
# RepeatIndex mechanics


def test_index_add_remove_replace_and_limit():
    idx = RepeatIndex()
    idx.add(ORIGINAL)
    idx.add(SAME_PERSON_OTHER_MATTER)
    idx.add(OTHER_PERSON_SAME_PLACE)
    assert len(idx) == 3 and 1 in idx
    assert [pid for pid, _ in idx.search(REPEAT)] == [1]
    idx.remove(1)
    idx.remove(999)  # unknown: ignored
    assert idx.search(REPEAT) == [] and 1 not in idx
    idx.add(ORIGINAL)
    idx.add(ORIGINAL)  # same id again replaces, never duplicates
    assert [pid for pid, _ in idx.search(REPEAT)] == [1]
    for n in range(5):
        idx.add(_petition(20 + n, "张建国", REPEAT.content))
    assert len(idx.search(REPEAT, limit=3)) == 3


def test_search_never_returns_the_query_itself():
    idx = RepeatIndex()
    idx.add(ORIGINAL)
    assert idx.search(ORIGINAL) == []


def test_removal_leaves_no_key_behind_and_still_finds():
    idx = RepeatIndex()
    idx.add_many(distractors(150))
    idx.add(ORIGINAL)
    for p in distractors(150):
        idx.remove(p.petition_id)
    assert set(idx._by_key) == similarity.index_keys(ORIGINAL)
    assert len(idx) == 1 and [pid for pid, _ in idx.search(REPEAT)] == [1]


def test_concurrent_search_and_add():
    idx = RepeatIndex()
    idx.add_many(distractors(100))
    idx.add(ORIGINAL)
    errors, results = [], []

    def searcher():
        try:
            for _ in range(30):
                results.append(idx.search(REPEAT)[0][0])
        except Exception as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)

    def writer():
        try:
            for n, p in enumerate(distractors(300, seed=7)):
                idx.add(PetitionFeatures(**{**p.__dict__, "petition_id": 50_000 + n}))
                if n % 3 == 0:
                    idx.remove(50_000 + n)
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(3)] + \
        [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [1] * 90
