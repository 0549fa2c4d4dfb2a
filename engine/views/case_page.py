"""The case page in one unit of work: the overview (which checks that the user may see the case
and notes the reading), then the case's dossiers and their latest jobs without checking again
(each section's own check cost ~3 ms of a 45-60 ms page: bench/RESULTS.md, issue 28)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.documents import dossier
from engine.documents import jobs as document_jobs
from engine.org.models import User
from engine.runtime import Runtime
from engine.views.case_overview import case_overview


def case_page(session: Session, runtime: Runtime, *, user: User, case_id: int) -> dict:
    """`case_overview` with `dossiers` (as `dossier.describe` gives them), `dossier_jobs` (the
    latest dossier jobs, as `document_jobs.for_case` gives them) and whether the reader may
    compile a dossier (`may_compile`) and freeze one (`may_freeze`)."""
    view = case_overview(session, runtime, user=user, case_id=case_id)
    case = view["case"]
    may_compile = bool(dossier.WRITERS & user.roles)
    return {**view, "dossiers": [dossier.describe(d) for d in dossier.of_case(session, case.id)],
            "dossier_jobs": document_jobs.of_case(session, case.id,
                                                  kinds=(document_jobs.DOSSIER,)),
            "may_compile": may_compile, "may_freeze": may_compile and dossier.concluded(case)}
