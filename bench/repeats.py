"""Repeat suggestions: time RepeatIndex.search against 100,000 synthetic petitions."""
from __future__ import annotations

import itertools
import random
import statistics
import time
from datetime import datetime, timedelta, timezone

from bench.common import log
from bench.table import Row

NAME = "repeat suggestions: rank against 100,000 petitions"
TARGET = "≤ 300 ms"
QUERIES = 50
SH = timezone(timedelta(hours=8))

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜"
            "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史")
GIVEN = "国建文明华军平志伟永海春林德红玉秀英兰桂芳丽敏强勇刚涛斌宏辉新东荣庆光利福祥生成才富贵山云峰振"
VILLAGE_WORDS = "红青石柳王李张新三马龙白杨河双杏南花上永坪桥黄大沙团光胜长清东西北中金银竹松"
POSTS = ("村党支部书记", "村委会主任", "村会计", "村委会委员", "村民小组长", "村文书", "村监委会主任")
AMOUNTS = ("三千", "五千", "八千", "一万二", "两万", "三万五", "六万", "十二万")
# (category, template): {t} township, {v} village, {p} post, {n} name, {x} amount, {k} count,
# {y} year, {d} a detail that varies between petitions of the same kind.
TEMPLATES = (
    ("低保", "{t}{v}{p}{n}把{d}纳入低保，每月照领低保金，真正困难的群众却评不上。"),
    ("低保", "{v}{p}{n}办理低保要收好处费，每户{x}元，{d}交了钱才评上。"),
    ("扶贫", "{v}{p}{n}在发放{y}年产业扶贫奖补资金时虚报{k}户，冒领资金{x}元，{d}。"),
    ("惠民资金", "{t}{v}{p}{n}截留村民的{y}年耕地地力保护补贴{x}元，{d}。"),
    ("惠民资金", "{v}{p}{n}把农村危房改造补助{x}元批给了{d}。"),
    ("集体三资", "{t}{v}{p}{n}私自把村集体的{k}亩土地租给{d}，租金{x}元没有入账。"),
    ("集体三资", "{v}{p}{n}挪用村集体资金{x}元，{d}，账目至今没有公开。"),
    ("征地拆迁", "{v}{p}{n}在{y}年征地中虚报地上附着物，{d}，多领补偿款{x}元。"),
    ("工程建设", "{t}{v}{p}{n}把村里的{d}工程交给亲戚承建，没有招标，工程款超预算{x}元。"),
    ("八项规定", "{v}{p}{n}用村集体资金吃喝，一年招待费{x}元，{d}。"),
    ("涉黑涉恶", "{v}{p}{n}纠集社会人员强揽{d}，村民报警后不了了之。"),
    ("换届纪律", "{v}{p}{n}在{y}年换届中给选民每人送{x}元拉票，{d}。"),
    ("赌博", "{v}{p}{n}在{d}聚众赌博，每天抽头{x}元。"),
    ("吃拿卡要", "{v}{p}{n}给村民办{d}要收{x}元，不给钱就一直拖着。"),
)
DETAILS = ("自己的弟媳一家", "在城里买了房的亲戚", "他的连襟", "外地老板", "自家的养殖场",
           "村文化广场", "通组公路硬化", "饮水安全", "砂石运输生意", "土方工程", "自家茶馆",
           "宅基地审批", "准生证明", "发票开成办公用品", "钱用来还了个人贷款", "还威胁知情人",
           "群众多次反映没有结果", "已经拖了半年", "去年就有人举报过", "村务公开栏从来不公布")


class Synthetic:
    """A deterministic county: townships, villages, cadres, and petitions about them."""

    def __init__(self, seed: int = 2026, cadres: int = 30_000):
        self.rng = random.Random(seed)
        rng = self.rng
        self.townships = {f"town-{i:02d}": f"{'甲乙丙丁戊己庚辛壬癸'[i % 10]}{i // 10 or ''}镇"
                          for i in range(18)}
        codes = sorted(self.townships)
        self.villages = []
        for _ in range(400):
            name = "".join(rng.choices(VILLAGE_WORDS, k=2)) + "村"
            self.villages.append((rng.choice(codes), name))
        self.cadres = []
        for _ in range(cadres):
            name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2, 2))))
            self.cadres.append((name, rng.choice(POSTS), *rng.choice(self.villages)))
        # A few cadres draw most petitions (Zipf-like), as in a real county.
        self.cum_weights = list(itertools.accumulate(1 / (i + 1) ** 0.6 for i in range(cadres)))
        self.start = datetime(2024, 1, 1, 9, 0, tzinfo=SH)

    def petition(self, petition_id: int, cadre=None) -> dict:
        """One petition (plain dict of PetitionFeatures fields) about a cadre."""
        rng = self.rng
        name, post, township, village = cadre or rng.choices(
            self.cadres, cum_weights=self.cum_weights)[0]
        category, template = rng.choice(TEMPLATES)
        content = template.format(
            t=self.townships[township], v=village, p=post, n=name, x=rng.choice(AMOUNTS),
            k=rng.randint(2, 60), y=rng.choice((2023, 2024, 2025)), d=rng.choice(DETAILS))
        return {"petition_id": petition_id,
                "accused": [{"name": name, "post": post, "unit": village}],
                "township": township, "village": village, "category": category,
                "content": content,
                "received_at": self.start + timedelta(minutes=rng.randint(0, 60 * 24 * 900))}

    def reworded(self, petition: dict, petition_id: int) -> dict:
        """The same matter again: spacing, punctuation, a title on the name, a dropped clause."""
        rng = self.rng
        accused = [dict(a) for a in petition["accused"]]
        accused[0]["name"] = rng.choice((accused[0]["name"], " ".join(accused[0]["name"]),
                                         accused[0]["name"] + "书记"))
        parts = petition["content"].rstrip("。").split("，")
        if len(parts) > 2 and rng.random() < 0.5:
            parts.pop(rng.randrange(1, len(parts)))
        rng.shuffle(parts)
        return {**petition, "petition_id": petition_id, "accused": accused,
                "content": "，".join(parts) + "！请纪委查处。",
                "received_at": petition["received_at"] + timedelta(days=rng.randint(5, 90))}


def measure(quick: bool) -> list:
    """Build an index of 100,000 synthetic petitions (quick: 20,000) and time ~50 searches."""
    from engine.petitions.similarity import RepeatIndex

    size = 20_000 if quick else 100_000
    county = Synthetic()
    petitions = [county.petition(i) for i in range(1, size + 1)]
    index = RepeatIndex()
    started = time.perf_counter()
    index.add_many(petitions)
    log(f"  repeat index: {size:,} petitions indexed in {time.perf_counter() - started:.1f} s")
    # Half repeats of indexed petitions, a quarter new matters about indexed cadres, a quarter
    # about cadres the index has never seen.
    queries, sources = [], []
    for n in range(QUERIES):
        qid = size + 1 + n
        if n % 4 < 2:
            source = petitions[county.rng.randrange(size)]
            queries.append(county.reworded(source, qid))
            sources.append(source["petition_id"])
        elif n % 4 == 2:
            queries.append(county.petition(qid))
            sources.append(None)
        else:
            stranger = ("欧阳" + "".join(county.rng.choices(GIVEN, k=2)), "村会计",
                        *county.rng.choice(county.villages))
            queries.append(county.petition(qid, cadre=stranger))
            sources.append(None)
    for q in queries[:5]:  # warm-up: first-call costs are not what a clerk waits for
        index.search(q)
    times, found = [], 0
    for q, source in zip(queries, sources, strict=False):
        t0 = time.perf_counter()
        results = index.search(q)
        times.append((time.perf_counter() - t0) * 1000)
        found += source is not None and source in [pid for pid, _ in results[:3]]
    times.sort()
    median = statistics.median(times)
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    log(f"  repeat search: median {median:.1f} ms, p95 {p95:.1f} ms over {len(times)} queries; "
        f"{found}/{sum(x is not None for x in sources)} reworded repeats found in the top 3")
    name = NAME if size == 100_000 else NAME.replace("100,000", f"{size:,}")
    return [Row(name, "in-memory index", f"{median:.1f} ms (p95 {p95:.1f})", "—", "—", TARGET)]
