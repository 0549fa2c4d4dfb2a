"""Coded refusals on the pages: the engine raises a `DomainError` with a stable `reason` and its
`params`; a page shows the text registered here for that reason, in the user's language, filled
with the params (a `status` or deadline `key` translated too). Never by matching the English.

Refusals not coded yet are still shown through the pattern table of `web/ui/messages.py`;
`tests/unit/test_refusals.py` fails on a coded raise site whose reason has no text here.
"""
from __future__ import annotations

from functools import cache

from flask_babel import gettext as _

from web import i18n

from web.ui import N_
from web.ui.messages import VALUE_WORDS, localize

REASONS: dict[str, str] = {
    # Tasks: see, claim, give back, reassign, complete.
    "task_not_found": N_("Task %(id)s was not found."),
    "task_not_visible": N_("You may not see this task."),
    "task_version_stale": N_("The task has changed (now version %(version)s, you sent "
                             "%(sent)s); reload the page."),
    "task_not_open": N_("The task is %(status)s."),
    "task_held_by_other": N_("Someone else holds this task."),
    "task_claim_forbidden": N_("You may not claim this task."),
    "task_complete_forbidden": N_("You may not complete this task."),
    "task_not_ready": N_("This task is not waiting to be completed."),
    "task_reassign_forbidden": N_("Only a supervisor of the task's unit may reassign it."),
    "assignee_unknown": N_("There is no user “%(user)s”."),
    "assignee_not_eligible": N_("%(user)s may not work on this task."),
    "form_invalid": N_("The form has errors; see the marked fields."),
    "reason_required": N_("Give a reason."),
    # Cases.
    "case_not_found": N_("Case %(id)s was not found."),
    "case_not_visible": N_("You may not see this case."),
    "case_recused": N_("You are recused from this case (a declared relation): you may not open "
                       "or supervise it."),
    "case_not_supervised": N_("Only a supervisor over this case's units may do this."),
    # Documents.
    "reveal_reason_required": N_("Give a reason."),
    "reveal_not_allowed": N_("You may not see the reporter's identity."),
    # Background jobs (ledger exports).
    "jobs_too_many": N_("You already have %(count)s ledgers being built; wait for one to "
                        "finish."),
    "job_not_found": N_("Background job %(id)s was not found."),
    "job_kind_unknown": N_("No worker can run background jobs of kind %(kind)s."),
    "job_not_done": N_("The ledger is not ready yet."),
    "job_file_gone": N_("The file is gone; build the ledger again."),
}


def text(reason: str | None, params: dict | None, message: str,
         msgid: str | None = None) -> str:
    """The refusal in the user's language: by its reason when it has a page text here, else by
    its message id when that is translated, else through the old pattern table."""
    values = {name: _(VALUE_WORDS[name][value])
              if name in VALUE_WORDS and value in VALUE_WORDS[name] else value
              for name, value in (params or {}).items()}
    if reason in REASONS:
        return _(REASONS[reason], **values)
    if msgid and msgid in translated():
        return _(msgid, **values)
    return localize(message)


@cache
def translated() -> frozenset[str]:
    """Message ids with a Chinese translation (raise sites may carry their own)."""
    return frozenset(i18n.translated("zh"))
