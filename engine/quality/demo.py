"""Demo: a completed quality review round of the current quarter (one item failed: its
township's rectification is opened), manual scores of the zones for the current half-year and the
townships' scores of their village supervision committees for the current quarter."""
from __future__ import annotations

from sqlalchemy import select

from engine.evaluation import committees
from engine.evaluation import service as evaluation
from engine.org import service as org
from engine.quality import service as quality
from engine.quality.models import ReviewRound
from engine.org.tree import Tree
from engine.runtime import Runtime

SEED = "20260401"
REVIEWERS = ["s-officer", "b-worker", "d-worker"]


def load(runtime: Runtime) -> None:
    """Idempotent: nothing when the county already has a round."""
    today = runtime.clock.local(runtime.clock.now()).date()
    quarter = (today.month - 1) // 3 + 1

    def work(uow):
        s = uow.session
        if s.scalar(select(ReviewRound.id).limit(1)) is not None:
            return
        chief = org.get_user(s, "chief")
        rnd = quality.create_round(s, runtime, user=chief, unit_code="county", year=today.year,
                                   quarter=quarter, reviewers=REVIEWERS, share=0.5, seed=SEED)
        tree = Tree.of(s)
        users = {name: org.get_user(s, name) for name in REVIEWERS}
        ok = {c["key"]: True for c in rnd.checklist}
        for n, item in enumerate(quality.items_of(s, rnd)):
            reviewer = next(u for u in users.values()
                            if not quality.from_reviewed_unit(tree, u, item.unit_id))
            checks = dict(ok)
            comment = "程序规范，材料齐全。"
            if n == 0:
                checks.update(evidence=False, feedback=False)
                comment = "证据不够充分，未按规定向实名举报人反馈。"
            quality.score(s, runtime, user=reviewer, item_id=item.id, checks=checks,
                          comment=comment)
        quality.notify(uow, runtime, user=chief, round_id=rnd.id)
        half = f"{today.year}-H{1 if today.month <= 6 else 2}"
        for zone, score, comment in (("zone-east", 88, "协作机制运转顺畅，交叉互查扎实。"),
                                     ("zone-west", 72, "异地办案统筹不够，案件卷宗整理滞后。")):
            evaluation.set_manual(s, runtime, user=chief, period_key=half, zone=zone,
                                  score=score, comment=comment)
        for head, village, score, comment in (
                ("a-head", "village-a-east", 92, "监督村务公开及时，台账规范。"),
                ("a-head", "village-a-west", 68, "三资监督流于形式，会议记录不全。"),
                ("b-head", "village-b-south", 80, "按时列席村两委会议。")):
            committees.set_manual(s, runtime, user=org.get_user(s, head),
                                  period_key=f"{today.year}-Q{quarter}", committee=village,
                                  score=score, comment=comment)
    runtime.transact(work)
