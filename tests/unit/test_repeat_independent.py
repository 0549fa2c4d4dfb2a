"""Repeat detection on the independent labelled set (tests/fixtures/repeat_pairs_independent.yaml).

The scorer was tuned on the `tune` half only; the `heldout` half is reported here and in
bench/RESULTS.md. Every matter's original, the same persons' other matters and their neighbours'
petitions are indexed together with 200 generated distractors, so a repeat must beat the same
person's other matter and the same village's other cadres in one ranking."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from engine.petitions.similarity import PetitionFeatures, RepeatIndex
from tests.unit.test_repeat_detection import distractors

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "repeat_pairs_independent.yaml"
FRESH = FIXTURE.with_name("repeat_pairs_fresh.yaml")
BLIND2 = FIXTURE.with_name("repeat_pairs_blind2.yaml")
BLIND3 = FIXTURE.with_name("repeat_pairs_blind3.yaml")
DEV3 = FIXTURE.with_name("repeat_pairs_dev3.yaml")
BLIND4 = FIXTURE.with_name("repeat_pairs_blind4.yaml")
BLIND5 = FIXTURE.with_name("repeat_pairs_blind5.yaml")
BLIND6 = FIXTURE.with_name("repeat_pairs_blind6.yaml")
PAIRS = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))["pairs"]
ORIGINAL_ID, NEW_ID = 1, 5_000


def _features(pid: int, data: dict) -> PetitionFeatures:
    received = data["received_at"]
    if isinstance(received, str):
        received = datetime.fromisoformat(received)
    return PetitionFeatures(petition_id=pid, accused=data["accused"], township=data["township"],
                            village=data["village"], category=data["category"],
                            content=data["content"], received_at=received)


def _pairs(path: Path) -> list[dict]:
    if path == FIXTURE:
        return PAIRS
    return yaml.safe_load(path.read_text(encoding="utf-8"))["pairs"]


def evaluate(split: str, path: Path = FIXTURE) -> dict:
    """recall@3 of the repeats and how often the original outranks the same person's other
    matter when searching with a repeat, over the pairs of `split` in the file at `path`."""
    pairs = [p for p in _pairs(path) if p["split"] == split]
    matters = sorted({p["matter"] for p in pairs})
    original_id = {m: ORIGINAL_ID + n for n, m in enumerate(matters)}
    idx = RepeatIndex()
    idx.add_many(distractors(200))
    for p in pairs:
        idx.add(_features(original_id[p["matter"]], p["original"]))
    negative_id = {}
    for n, p in enumerate(pairs):
        if p["label"] == "distinct":
            negative_id[p["id"]] = NEW_ID + n
            idx.add(_features(NEW_ID + n, p["new"]))
    repeats = [p for p in pairs if p["label"] == "repeat"]
    found, missed, outranked, comparisons, lost = 0, [], 0, 0, []
    for n, p in enumerate(repeats):
        query = _features(90_000 + n, p["new"])
        ranking = [pid for pid, _ in idx.search(query, limit=50)]
        target = original_id[p["matter"]]
        rank = ranking.index(target) + 1 if target in ranking else None
        if rank is not None and rank <= 3:
            found += 1
        else:
            missed.append((p["id"], rank))
        for q in pairs:
            if q["matter"] == p["matter"] and q["kind"] == "same_person_other_matter":
                comparisons += 1
                other = negative_id[q["id"]]
                if rank is not None and (other not in ranking
                                         or ranking.index(other) + 1 > rank):
                    outranked += 1
                else:
                    lost.append((p["id"], q["id"]))
    return {"repeats": len(repeats), "recall_at_3": found / len(repeats), "missed": missed,
            "comparisons": comparisons, "outranks": outranked / comparisons, "lost": lost}


@pytest.mark.parametrize("split", ["heldout"])
def test_heldout_recall_and_outranking(split):
    result = evaluate(split)
    print(split, {k: v for k, v in result.items()})
    assert result["repeats"] >= 40 and result["comparisons"] >= 100
    assert result["recall_at_3"] >= 0.95, result
    assert result["outranks"] >= 0.90, result


def test_fresh_set_figures():
    """The fresh set (tests/fixtures/repeat_pairs_fresh.yaml), written after the scorer was frozen
    by someone who had not seen it. This documents the figures, it is no target.

    Measured blind on 2026-12-06: recall@3 36/48 = 0.75, outranking 106/144 = 0.736 (12
    repeats got no suggestion: each was a candidate through its person keys, but its wording
    shared too little with the original's to reach the threshold).

    From migration 0030 on (the same day) the fresh set is TUNING data: its misses chose the
    aliases that migration adds, the nickname reading ("小邱" = 邱) and the unit rule ("丁镇"
    found in "丁镇财政所"). Measured after: recall@3 47/48 = 0.979, outranking 139/144 = 0.965.
    Still missed: m12-3 (an unnamed "农技中心主任" for the 农业服务中心主任: the unit's short form
    is not known, so the person stays below the words' floor). Lost comparisons besides those of
    m12-3: m11-3 ranks m11-5 first, m12-4 ranks m12-6 first. The assertions are these figures
    rounded down; only a second blind set gives the true figure now.

    After migration 0035's scorer change (2026-12-06, tuned on blind4, dev3 and this set: office
    of a post or unit, errands, office heads, sibling addresses, ties broken by shared wording):
    recall@3 48/48 = 1.000 (m12-3 found: 农技中心 and 农业服务中心 are both the 农技 office now),
    outranking 142/144 = 0.986 (still lost: m11-3 ranks m11-5 first, m12-4 ranks m12-6 first).
    Unchanged by migration 0037's change."""
    result = evaluate("fresh", FRESH)
    print("fresh", result)
    assert result["repeats"] == 48 and result["comparisons"] == 144
    assert result["recall_at_3"] >= 1.0, result
    assert result["outranks"] >= 0.98, result


def test_second_blind_set_figures():
    """The second blind set (tests/fixtures/repeat_pairs_blind2.yaml), written on 2026-12-06 by
    someone who had seen neither the scorer nor the fresh set's misses, measured once after
    migration 0030's scorer change: the true figure of that scorer. It documents, it is no
    target (point 4 asks recall@3 >= 0.95: not met; outranking >= 0.90: met).

    recall@3 44/48 = 0.917, outranking 131/144 = 0.910. Missed: m03-3, m09-3, m10-3 (the same
    full name, no post and no place, a reworded matter: the name alone does not lift the
    wording over the floor), m11-3 ("老鄢" with dialect wording). Do not tune on this set.

    Re-measured after the 2026-12-06 scorer change, not tuned on (migration 0034: everyday post
    words, surname address forms, township keys, compound words' parts, a retold matter under
    the full name alone; tuned on repeat_pairs_dev3.yaml): recall@3 45/48 = 0.938, outranking
    134/144 = 0.931. Still missed: m09-3, m10-3, m11-3 (not looked into: this set is not to be
    tuned on). Measured once; the assertions are these figures rounded down.

    Re-run after migration 0035's scorer change (tuned on blind4, dev3 and fresh; this set's
    misses not looked into): unchanged, recall@3 45/48 = 0.938, outranking 134/144 = 0.931.

    Re-run after migration 0037's change (tuned on blind5, blind4, dev3 and fresh; this set's
    pairs not read): recall@3 45/48 -> 46/48 = 0.958, outranking 134/144 -> 137/144 = 0.951
    (m11-3, "老鄢", found: the surname alone in the same village now reads as naming the
    person). Still missed: m09-3, m10-3. The assertions are the new figures rounded down."""
    result = evaluate("blind2", BLIND2)
    print("blind2", result)
    assert result["repeats"] == 48 and result["comparisons"] == 144
    assert result["recall_at_3"] >= 0.95, result
    assert result["outranks"] >= 0.95, result


def test_third_blind_set_figures():
    """A third blind set (tests/fixtures/repeat_pairs_blind3.yaml), written on 2026-12-06 by
    someone who had seen neither the scorer nor the earlier sets' misses, measured once after
    that day's last scorer change: recall@3 44/48 = 0.917, outranking 131/144 = 0.910 — the
    same as the second blind set (together 88/96 = 0.917). Documents, no target; do not tune on
    it.

    Re-measured after the 2026-12-06 scorer change, not tuned on (the same change as in the
    second set's note): recall@3 46/48 = 0.958, outranking 134/144 = 0.931 (with the second
    set: 91/96 = 0.948, outranking 268/288 = 0.931). Still missed: b3m08-1, b3m12-1 (not looked
    into). Measured once; the assertions are these figures rounded down.

    Re-run after migration 0035's scorer change (tuned on blind4, dev3 and fresh; this set's
    misses not looked into): recall@3 46/48 = 0.958 -> 47/48 = 0.979, outranking 134/144 = 0.931
    -> 139/144 = 0.965 (still missed: b3m08-1). The assertions are the new figures rounded down.
    Unchanged by migration 0037's change (47/48, 139/144)."""
    result = evaluate("blind3", BLIND3)
    print("blind3", result)
    assert result["repeats"] == 48 and result["comparisons"] == 144
    assert result["recall_at_3"] >= 0.97, result
    assert result["outranks"] >= 0.96, result


def test_dev3_set_figures():
    """The development pairs of the 2026-12-06 scorer change (tests/fixtures/
    repeat_pairs_dev3.yaml): the three kinds of repeat the blind sets still missed — the full
    name alone with the matter retold, no name and the post in everyday words, the surname in an
    address form (老X, X头儿, 小X, X姐) — written by the engineer who then tuned on them. Tuning
    data: its figures say what the change does on these kinds, not how well it generalises.

    Before the change: recall@3 15/36 = 0.417, outranking 30/72 = 0.417. After: recall@3 36/36
    = 1.000, outranking 70/72 = 0.972 (lost: d03-1 ranks d03-5 first, d05-1 ranks d05-4 first —
    the same named person's other matter against an unnamed or name-only repeat). Unchanged by
    migration 0035's and 0037's scorer changes."""
    result = evaluate("dev3", DEV3)
    print("dev3", result)
    assert result["repeats"] == 36 and result["comparisons"] == 72
    assert result["recall_at_3"] >= 0.97, result
    assert result["outranks"] >= 0.97, result


def test_fourth_blind_set_figures():
    """A fourth set (tests/fixtures/repeat_pairs_blind4.yaml), written on 2026-12-06 by someone
    who had seen neither the scorer nor the earlier sets' pairs or misses; measured once before
    (after migration 0034's change): recall@3 43/48 = 0.896, outranking 127/144 = 0.882. Missed
    then: b4m02-1 (镇上管低保的女干部), b4m04-3 (镇上农业站当家的), b4m05-1 (蔺老二), b4m07-1
    (镇上办建房手续的那个女的), b4m11-1 (邴老三).

    Tuned on from then on (development data, with dev3 and fresh): migration 0035's change reads
    errands (负责/管/办 X 的: 管X), office heads (X站当家的: 站长), the office of a post or unit
    (社会事务办, 自然资源所), sibling addresses (蔺老二, 邴老三: the surname), no 民政 inside 人民政府,
    and breaks ties by shared wording. After the change: recall@3 48/48 = 1.000, outranking
    143/144 = 0.993 (lost: b4m07-4, 粟丽萍 by the name alone, ranks her 宅基地 matter b4m07-5
    first). A TUNED figure, not a measurement: a fifth blind set gives the true one. The
    assertions are these figures rounded down. Unchanged by migration 0037's change (48/48,
    143/144)."""
    result = evaluate("blind4", BLIND4)
    print("blind4", result)
    assert result["repeats"] == 48 and result["comparisons"] == 144
    assert result["recall_at_3"] >= 1.0, result
    assert result["outranks"] >= 0.99, result


def test_fifth_blind_set_figures():
    """A fifth blind set (tests/fixtures/repeat_pairs_blind5.yaml, commit c024186), written on
    2026-12-06 by someone who had seen neither the scorer nor any earlier set's pairs, misses or
    results, and committed before that day's second scorer change (migration 0035, tuned on
    blind4). Measured before the change: recall@3 44/48 = 0.917, outranking 132/144 = 0.917;
    measured once after it: the same, 44/48 and 132/144 — the change did not generalise to these
    four: b5m06-1 (厍老二 for 厍大勇, the village written without 村), b5m07-3 (丁镇管残疾证的那个女
    干部 for the 残联 window clerk), b5m09-4 (农机站管补贴的那个干部, no place, another category),
    b5m12-3 (财政所管钱的那个女的 for the 出纳): none ranked (three candidates scored under the
    threshold, b5m12-3 shared no key). The true figure of
    that change, below the 0.95 target.

    Tuned on from now on (development data, with blind4, dev3 and fresh); after the 0037 change
    (the township office as a candidate key, from post, unit or errand, and both offices of an
    accused compared; errands of township offices as alias rows: 残联/残疾证, 农机, 工资, 医保
    windows, 林业站, 水利站; villages keyed without group or township; a surname alone with no
    post in the same village read as naming the person; banquet paraphrases): recall@3 48/48 =
    1.000, outranking 144/144 = 1.000. A TUNED figure, not a measurement: the sixth blind set
    gives the true one. The assertions are these figures rounded down."""
    result = evaluate("blind5", BLIND5)
    print("blind5", result)
    assert result["repeats"] == 48 and result["comparisons"] == 144
    assert result["recall_at_3"] >= 1.0, result
    assert result["outranks"] >= 1.0, result


def test_sixth_blind_set_figures():
    """The held-out figure of issue 19 point 4. A sixth blind set (tests/fixtures/
    repeat_pairs_blind6.yaml, commit a896565), written on 2026-12-06 by someone who had seen
    neither the scorer nor any earlier set's pairs, misses or results, committed before the 0037
    change was merged and never tuned on. Run once with the 0035 scorer before that merge:
    recall@3 46/48 = 0.958, outranking 135/144 = 0.938; measured once after the 0037 change:
    recall@3 46/48 = 0.958 (target 0.95), outranking 136/144 = 0.944 (target 0.90). Missed:
    b6m04-4, b6m12-3. Never to be tuned on; the assertions are these figures rounded down."""
    result = evaluate("blind6", BLIND6)
    print("blind6", result)
    assert result["repeats"] == 48 and result["comparisons"] == 144
    assert result["recall_at_3"] >= 0.95, result
    assert result["outranks"] >= 0.94, result


if __name__ == "__main__":  # tuning aid: python -m tests.unit.test_repeat_independent tune
    import sys
    for name in sys.argv[1:] or ["tune"]:
        print(name, evaluate(name))
