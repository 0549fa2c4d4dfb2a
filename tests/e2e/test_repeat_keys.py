"""The repeat check's database-side index (`repeat_keys`, migration 0023), on both databases:
keys are written at registration and rewritten on correction, a process's first check reads
only the petitions its keys name (nothing is built when a process starts), and the held-out
half of the independent labelled set keeps its recall through the database."""
from __future__ import annotations

from sqlalchemy import select

from engine.org.models import Unit, User
from engine.petitions import service
from engine.petitions.models import AccusedPerson, Petition, RepeatKey
from engine.petitions.repeats import RepeatFinder, features_of, write_keys
from engine.petitions.similarity import PetitionFeatures, index_keys
from tests.e2e.test_petitions import petition, register
from tests.unit import test_repeat_independent as labelled
from tests.unit.test_repeat_detection import distractors
from tests.api_client import deploy_processes

import pytest


@pytest.fixture
def intake(api):
    deploy_processes(api)
    return api


def _keys(runtime, petition_id: int) -> set[str]:
    return runtime.read(lambda uow: set(uow.session.scalars(
        select(RepeatKey.key).where(RepeatKey.petition_id == petition_id))))


def _expected(runtime, petition_id: int) -> set[str]:
    def read(uow):
        p = uow.session.get(Petition, petition_id)
        code = uow.session.scalar(select(Unit.code).where(Unit.id == p.township_id))
        return index_keys(features_of(p, code))
    return runtime.read(read)


def _hits(api, query: dict) -> list[int]:
    resp = api.as_("clerk").post("/petitions/repeat-check", json=query)
    assert resp.status == 200, resp.json
    return [h["petition_id"] for h in resp.json]


def test_registration_writes_the_keys_and_a_correction_rewrites_them(intake, runtime):
    created = register(intake)
    keys = _keys(runtime, created["id"])
    # 李四, 村委会主任, 东村: the surname and the kind of post in the village and in its
    # township, the full name.
    assert keys == {"v|东", "s|东|李", "p|东|主任", "n|李四", "ts|towna|李", "tp|towna|主任"} \
        == _expected(runtime, created["id"])

    corrected = intake.as_("clerk").patch(
        f"/petitions/{created['id']}",
        json={"village": "西村", "accused": [{"name": "王秀英", "post": "村会计",
                                              "unit": "西村村委会", "level": "village"}],
              "content": "西村会计王秀英挪用集体资金。"})
    assert corrected.status == 200, corrected.json
    keys = _keys(runtime, created["id"])
    assert keys == _expected(runtime, created["id"])
    assert {"v|西", "s|西|王", "p|西|会计", "n|王秀英", "n|秀英", "n|王英", "n|王秀",
            "ts|towna|王", "tp|towna|会计"} == keys
    # The check finds it under its new person and place, no longer under the old ones.
    assert created["id"] in _hits(intake, petition(
        village="西村", content="王会计挪用村里集体资金",
        accused=[{"name": "王会计", "post": "", "unit": "西村", "level": "village"}]))
    assert created["id"] not in _hits(intake, petition())


def test_a_new_process_finds_repeats_by_looking_keys_up_not_by_loading_every_petition(
        intake, runtime):
    """A fresh finder (a restarted process) answers the first check having read only the
    petitions its keys name: nothing is built over the whole table first."""
    original = register(intake)
    clerk = runtime.read(lambda uow: uow.session.scalar(
        select(User).where(User.username == "clerk")))

    def seed(uow):
        for n, p in enumerate(distractors(300, seed=11)):
            row = Petition(number=f"KEYTEST-{n}", channel="letter", received_at=p.received_at,
                           registered_at=p.received_at, registered_by_id=clerk.id,
                           unit_id=clerk.unit_id, village=p.village, category="other",
                           content=p.content, status="registered", updated_at=p.received_at,
                           township_id=uow.session.scalar(
                               select(Unit.id).where(Unit.code == p.township)),
                           accused=[AccusedPerson(**a) for a in p.accused])
            uow.session.add(row)
            uow.session.flush()
            write_keys(uow.session, row)
    runtime.transact(seed)
    finder = RepeatFinder(window_days=10_000)
    assert not finder._prepared  # nothing held before the first check
    query = PetitionFeatures(petition_id=-1, accused=[{"name": "李 四", "post": "村主任"}],
                             township="town-a", village="东村", category="welfare_funds",
                             content="反映李四虚报低保名单、套取低保金的问题",
                             received_at=runtime.clock.now())
    hits = runtime.read(lambda uow: finder.search(uow.session, query, runtime.clock.now()))
    assert hits[0]["petition_id"] == original["id"]
    assert hits[0]["number"] == original["number"]
    assert len(finder._prepared) < 30  # the keys' petitions, not the 301 in the table


def _add(uow, clerk: User, townships: dict[str, int], pid: int, data: dict) -> None:
    received = data["received_at"]
    row = Petition(id=pid, number=f"LABELLED-{pid}", channel="letter", received_at=received,
                   registered_at=received, registered_by_id=clerk.id, unit_id=clerk.unit_id,
                   township_id=townships.get(data["township"]), village=data["village"] or "",
                   category=data["category"] or "other", content=data["content"],
                   status="registered", updated_at=received,
                   accused=[AccusedPerson(name=a.get("name") or "", post=a.get("post") or "",
                                          unit=a.get("unit") or "") for a in data["accused"]])
    uow.session.add(row)
    uow.session.flush()
    write_keys(uow.session, row)


def test_the_held_out_labelled_set_keeps_its_recall_through_the_database(runtime):
    """tests/fixtures/repeat_pairs_independent.yaml, held-out half, as petitions in the database
    with 200 generated distractors; each repeat is checked through the database finder."""
    pairs = [p for p in labelled.PAIRS if p["split"] == "heldout"]
    matters = sorted({p["matter"] for p in pairs})
    original_id = {m: 100_000 + n for n, m in enumerate(matters)}
    negative_id = {p["id"]: 200_000 + n for n, p in enumerate(pairs) if p["label"] == "distinct"}

    def seed(uow):
        clerk = uow.session.scalar(select(User).where(User.username == "clerk"))
        townships = dict(uow.session.execute(select(Unit.code, Unit.id)
                                             .where(Unit.kind == "township")).all())
        for p in distractors(200):
            _add(uow, clerk, townships, 300_000 + p.petition_id, {**p.__dict__})
        for matter in matters:
            first = next(p for p in pairs if p["matter"] == matter)
            _add(uow, clerk, townships, original_id[matter],
                 labelled._features(0, first["original"]).__dict__)
        for p in pairs:
            if p["label"] == "distinct":
                _add(uow, clerk, townships, negative_id[p["id"]],
                     labelled._features(0, p["new"]).__dict__)
    runtime.transact(seed)

    finder = RepeatFinder(window_days=100_000)
    repeats = [p for p in pairs if p["label"] == "repeat"]
    found, outranked, comparisons = 0, 0, 0
    for n, p in enumerate(repeats):
        query = labelled._features(-1 - n, p["new"])
        ranking = [h["petition_id"] for h in runtime.read(
            lambda uow, q=query: finder.search(uow.session, q, runtime.clock.now()))]
        target = original_id[p["matter"]]
        rank = ranking.index(target) + 1 if target in ranking else None
        found += rank is not None and rank <= 3
        for q in pairs:
            if q["matter"] == p["matter"] and q["kind"] == "same_person_other_matter":
                comparisons += 1
                other = negative_id[q["id"]]
                outranked += rank is not None and (other not in ranking
                                                   or ranking.index(other) + 1 > rank)
    print(f"held-out through the database: recall@3 {found}/{len(repeats)}, "
          f"outranks {outranked}/{comparisons}")
    assert len(repeats) >= 40 and comparisons >= 100
    assert found / len(repeats) >= 0.95, (found, len(repeats))
    assert outranked / comparisons >= 0.90, (outranked, comparisons)


def test_the_service_warms_the_segmenter_and_alias_table_without_reading_petitions(runtime):
    service.warm_up(runtime)
    finder = runtime.repeat_finder
    assert finder._aliases is not None and not finder._prepared
