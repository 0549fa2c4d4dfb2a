"""Coded refusals on the pages: the engine raises a `DomainError` with a stable `reason` and its
`params`; a page shows the text registered here for that reason, in the user's language, filled
with the params (a `status` or deadline `key` translated too). Never by matching the English.

Every raise site is coded (`tests/unit/test_refusals.py` fails on one without a reason, and on
a reason without text here or a translated message id); field notes are shown by their code
(`web/ui/messages.py`).
"""
from __future__ import annotations

from functools import cache

from flask_babel import gettext as _

from web import i18n

from web.ui import N_, bp
from web.ui.messages import words

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
    "correction_reason_required": N_("Say why nobody is accused any more."),
    # Cases.
    "case_not_found": N_("Case %(id)s was not found."),
    "case_not_visible": N_("You may not see this case."),
    "case_recused": N_("You are recused from this case (a declared relation): you may not open "
                       "or supervise it."),
    "case_not_supervised": N_("Only a supervisor over this case's units may do this."),
    "case_not_open": N_("The case is %(status)s."),
    # Sign-in, users and units.
    "login_failed": N_("Wrong username or password."),
    "login_required": N_("Please log in."),
    "token_required": N_("Sign in, or send your access token."),
    "token_invalid": N_("The access token is invalid or has been revoked."),
    "unit_not_found": N_("Unit %(unit)s was not found."),
    "user_not_found": N_("User %(user)s was not found."),
    "user_role_unknown": N_("Unknown role “%(role)s”; choose among: %(roles)s."),
    "username_length": N_("A username has 1 to 64 characters."),
    "user_exists": N_("User %(user)s already exists."),
    # Deadlines, calendars and extensions.
    "deadline_key_unknown": N_("The time limit “%(key)s” is not configured."),
    "calendar_unreadable": N_("The calendar file %(file)s cannot be read: %(reason)s"),
    "calendar_empty": N_("The calendar file %(file)s lists no days."),
    "calendar_years": N_("A calendar file holds exactly one year."),
    "calendar_day_kind_unknown": N_("Unknown day kind “%(value)s” (holiday or workday)."),
    "deadline_not_found": N_("Time limit %(id)s was not found."),
    "deadline_suspend_forbidden": N_("Only a supervisor of the unit may suspend or resume this "
                                     "time limit."),
    "deadline_wrong_status": N_("The time limit is %(status)s."),
    "deadline_none_running": N_("This task has no running time limit."),
    "extension_forbidden": N_("You may not ask for more time on this task."),
    "extension_unit_invalid": N_("Choose working days or calendar days."),
    "extension_amount_range": N_("The extension is 1 to 366 days."),
    "deadline_not_extendable": N_("The time limit “%(key)s” cannot be extended."),
    "extension_misconfigured": N_("The approval process for more time offers no task; tell an "
                                  "administrator."),
    # Petitions.
    "petition_fields_invalid": N_("Some fields of the petition are not valid."),
    "petition_register_forbidden": N_("Only intake clerks and supervisors register petitions."),
    "petition_not_found": N_("Petition %(id)s was not found."),
    "petition_not_visible": N_("You may not see this petition."),
    "petition_repeat_self": N_("A petition cannot be a repeat of itself."),
    "petition_repeat_cycle": N_("That would make the petitions repeats of each other in a "
                                "circle."),
    "petition_repeat_forbidden": N_("Only intake clerks and supervisors link or unlink repeats."),
    "petition_not_repeat": N_("This petition is not linked as a repeat."),
    "petition_already_repeat": N_("This petition is already linked as a repeat."),
    "petition_repeat_check_forbidden": N_("Only intake clerks and supervisors check for "
                                          "repeats."),
    "petition_correct_forbidden": N_("Only the registering unit's clerks or a supervisor may "
                                     "correct this petition."),
    "petition_sealed": N_("A sealed forward keeps no content to correct."),
    "petition_withdraw_forbidden": N_("Only the registering unit's clerks or a supervisor may "
                                      "record this."),
    "petition_already_withdrawn": N_("The petition is already withdrawn."),
    "petition_number_unknown": N_("There is no petition with that number."),
    "petition_handling_unit_required": N_("Choose the unit that handles this matter first."),
    "petition_forward_to_required": N_("Name the authority it is forwarded to."),
    # Attachments.
    "attachment_type_refused": N_("Files of type %(type)s are not accepted."),
    "attachment_not_utf8": N_("A text file must be in UTF-8."),
    "attachment_content_mismatch": N_("The file's content does not match its type."),
    "attachment_empty": N_("The file is empty."),
    "attachment_too_large": N_("The file is larger than %(size)s MB."),
    "attachment_petition_not_in_case": N_("That petition is not part of this case."),
    "attachment_not_found": N_("Attachment %(id)s was not found."),
    "attachment_reporter_hidden": N_("This file identifies the reporter; you may not open it."),
    "attachment_reveal_reason_required": N_("Give a reason to open a file that identifies the "
                                            "reporter."),
    "attachment_file_missing": N_("Choose a file."),
    "attachment_petition_id_invalid": N_("Choose a valid petition."),
    # Visits.
    "visit_transfer_misconfigured": N_("The transfer process offers no task; tell an "
                                       "administrator."),
    # Clarifications and accusation referrals.
    "clarification_origin_unknown": N_("A clarification starts from an untrue finding or from the "
                                       "cadre's application."),
    "clarification_unverifiable": N_("An allegation that is neither proven nor ruled out gets no "
                                     "clarification."),
    "clarification_finding_not_untrue": N_("A clarification from a finding needs the finding "
                                           "“untrue”."),
    "clarification_cadre_required": N_("Name the cadre to be cleared."),
    "clarification_scope_unknown": N_("Unknown clarification scope “%(scope)s”."),
    "clarification_people_required": N_("At least one person is clarified."),
    "clarification_not_found": N_("Clarification %(id)s was not found."),
    "clarification_steps_missing": N_("Every step of the approved clarification must be done."),
    "accusation_kind_unknown": N_("Choose mistaken or malicious accusation."),
    "accusation_aggravating_unknown": N_("Unknown aggravating circumstance."),
    "accusation_not_found": N_("Accusation referral %(id)s was not found."),
    "accusation_not_mistaken": N_("Only a mistaken accusation ends with education."),
    "accusation_not_malicious": N_("Only a malicious accusation needs this approval."),
    "accusation_not_approved": N_("Only an approved malicious accusation is referred."),
    "accusation_referred_to_required": N_("Name where it is referred."),
    "accusation_heavier_handling_required": N_("An aggravated malicious accusation is handled "
                                               "more heavily: say how."),
    # Return visits, feedback, review and transfer.
    "visit_kind_unknown": N_("A return visit is to the reporter or to a cadre."),
    "visit_satisfaction_unknown": N_("Choose one of: %(options)s."),
    "visit_satisfaction_required": N_("Record the reporter's satisfaction."),
    "feedback_summary_required": N_("Say what was fed back."),
    "visit_review_decision_unknown": N_("Choose rehandle or uphold."),
    "visit_rehandling_exhausted": N_("Already re-handled %(times)s times: uphold and close, or "
                                     "escalate."),
    "visit_review_reason_required": N_("Give the review's reasons."),
    "case_no_handling_unit": N_("The case has no handling unit yet."),
    "transfer_forbidden": N_("Only the handling unit may ask to transfer its matter."),
    "transfer_unit_unknown": N_("Unknown unit."),
    "transfer_same_unit": N_("The matter is already handled there."),
    "transfer_reason_required": N_("Give the reason for the transfer."),
    "transfer_pending": N_("A transfer of this case is already waiting for a decision."),
    "transfer_stale": N_("The handling unit changed since the request; this request no longer "
                         "applies."),
    "transfer_unit_gone": N_("The target unit no longer exists."),
    # Clues: disposal, inquiry, verification, filing and sanctions.
    "clue_text_required": N_("Fill in the required text."),
    "clue_not_found": N_("Clue %(id)s was not found."),
    "clue_required": N_("This process works on a clue: start it from a clue."),
    "clue_not_visible": N_("You may not see this clue."),
    "clue_disposition_unknown": N_("Unknown disposal way “%(disposition)s”."),
    "clue_not_pending": N_("Clue %(number)s is no longer waiting for a disposal proposal."),
    "clue_no_proposal": N_("There is no proposal to approve."),
    "clue_inquiry_method_unknown": N_("Choose a talk or a letter."),
    "clue_reply_not_countersigned": N_("The written reply must be countersigned by the head of "
                                       "the cadre's party organisation; return it for "
                                       "signature."),
    "clue_outcome_unknown": N_("Choose close or verification."),
    "clue_finding_unknown": N_("Unknown finding."),
    "clue_decision_unknown": N_("Unknown decision."),
    "clue_decision_unfit": N_("This decision does not fit the finding “%(finding)s”."),
    "clue_joint_review_missing": N_("A key verification needs the joint review's decision "
                                    "first."),
    "clue_remind_method_unknown": N_("Unknown way of reminding."),
    "filing_case_required": N_("Filing needs a case: start this process from a clue's case."),
    "sanction_unknown": N_("Unknown sanction."),
    "sanction_people_negative": N_("The number of people disciplined is 0 or more."),
    "sanction_exempt_people": N_("An exemption disciplines nobody."),
    "sanction_people_required": N_("A sanction disciplines at least one person."),
    # Collaboration zones: escalation and investigation.
    "zone_not_township": N_("The handling unit %(unit)s is not a township of a collaboration "
                            "zone."),
    "escalation_reason_required": N_("Give the reason for escalating."),
    "escalation_pending": N_("An escalation of this case is already under way."),
    "escalation_forbidden": N_("Only the handling township's supervisor or caseworkers may apply "
                               "to escalate."),
    "escalation_required": N_("Start this process by escalating a case."),
    "escalation_refusal_reason_required": N_("A refusal needs a reason."),
    "escalation_analysis_required": N_("Write the analysis."),
    "investigation_team_required": N_("Name at least one investigator."),
    "investigation_leader_not_in_team": N_("The team leader %(leader)s is not in the team."),
    "investigation_not_member": N_("%(user)s is not on this investigation team."),
    "investigation_findings_required": N_("Report the findings."),
    "dossier_summary_required": N_("Describe the dossier."),
    "archive_number_required": N_("Enter the archive number."),
    # Joint reviews.
    "review_members_required": N_("A joint review needs at least one member unit."),
    "review_members_unknown": N_("Unknown member units: %(units)s."),
    "review_chair_unknown": N_("Unknown chair unit %(unit)s."),
    "review_not_open": N_("This task belongs to no open joint review; convene it first."),
    "review_position_unknown": N_("Choose agree, disagree or supplement."),
    "review_position_reason_required": N_("Give a reason when you disagree or add to it."),
    "review_not_member": N_("Unit %(unit)s is not a member of this joint review."),
    "review_position_given": N_("Unit %(unit)s has already stated its position."),
    "review_decision_unknown": N_("Choose agree, disagree or supplement."),
    "review_note_required": N_("Summarise the decision."),
    "review_positions_missing": N_("Still waiting for: %(units)s."),
    "review_not_found": N_("Joint review %(id)s was not found."),
    "review_not_visible": N_("You may not see this joint review."),
    # Reports and ledgers.
    "report_period_reversed": N_("The end of the period is before its start."),
    "report_period_too_long": N_("The period is too long: at most 20 years."),
    "report_period_unknown": N_("Unknown period."),
    "report_period_incomplete": N_("Give both the start and the end of the period."),
    "report_ledger_admin_forbidden": N_("Administrators see totals only, not item ledgers."),
    "report_role_forbidden": N_("Your role sees no reports."),
    "report_unit_forbidden": N_("You may not see reports of this unit."),
    "report_kind_unknown": N_("Unknown report."),
    "report_submit_forbidden": N_("A supervisor or caseworker of the unit submits its periodic "
                                  "reports."),
    "report_not_township": N_("Key verifications are reported by townships."),
    "report_period_future": N_("That period has not begun."),
    "ledger_unknown": N_("There is no such ledger."),
    # The API's own refusals.
    "calendar_file_missing": N_("Choose a calendar file."),
    "calendar_not_utf8": N_("The calendar file is not UTF-8 text."),
    "role_required": N_("You do not have the role this needs."),
    "bpmn_file_missing": N_("Choose a BPMN file."),
    "instance_not_visible": N_("You may not see this process instance."),
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
    # Recusal (declared relations).
    "relation_kind_invalid": N_("Choose the accused person or the reporter."),
    "relation_person_required": N_("Name the person."),
    "relation_required": N_("Name the relation."),
    "relation_not_own": N_("You may only declare your own relations."),
    "relation_not_found": N_("Relation %(id)s was not found."),
    "relation_decide_forbidden": N_("Only a supervisor over the user's unit decides a recusal."),
    "relation_status": N_("The relation is %(status)s."),
    "relation_end_forbidden": N_("You may not end this relation."),
    # Administration: units, users, transfers.
    "admin_required": N_("This needs the administrator role."),
    "task_candidates_forbidden": N_("Only a supervisor of the task's unit may see who can take "
                                    "it."),
    "unit_retired": N_("Unit %(unit)s is retired."),
    "unit_already_retired": N_("Unit %(unit)s is already retired."),
    "unit_exists": N_("Unit code %(unit)s is already taken."),
    "unit_code_name_required": N_("Enter a code and a name."),
    "unit_kind_unknown": N_("Unknown unit kind “%(value)s”."),
    "unit_move_into_itself": N_("%(unit)s cannot move below itself or a unit below it."),
    "unit_retire_blocked_tasks": N_("Unit %(unit)s cannot be retired: it or a unit below it has "
                                    "%(n)s open task(s); move them first."),
    "unit_retire_blocked_users": N_("Unit %(unit)s cannot be retired: it or a unit below it has "
                                    "active users %(users)s; move them first."),
    "unit_retire_blocked_both": N_("Unit %(unit)s cannot be retired: it or a unit below it has "
                                   "%(n)s open task(s) and active users %(users)s; move them "
                                   "first."),
    "user_roles_invalid": N_("Choose roles among: %(roles)s."),
    "user_already_inactive": N_("User %(user)s is already deactivated."),
    "user_deactivate_self": N_("You cannot deactivate yourself."),
    "user_holds_tasks": N_("%(user)s holds %(n)s open task(s) that must be transferred first: "
                           "%(tasks)s"),
    "transfer_task_not_held": N_("Task %(id)s is not an open task of %(user)s."),
    "transfer_targets_not_eligible": N_("Some of the chosen users may not take the task given "
                                        "to them."),
    # Inbox, saved filters, the overdue board, the task and case pages.
    "inbox_due_unknown": N_("Unknown deadline colour “%(value)s” (green, yellow or red)."),
    "inbox_scope_unknown": N_("Unknown scope “%(value)s” (mine, unit or all)."),
    "inbox_status_unknown": N_("Unknown task status “%(value)s” (open or completed)."),
    "inbox_tab_unknown": N_("There is no tab “%(value)s”."),
    "inbox_sort_unknown": N_("Unknown sort order “%(value)s”."),
    "inbox_category_unknown": N_("Unknown category “%(value)s”."),
    "inbox_search_too_long": N_("The search text is too long."),
    "filter_name_required": N_("Give the filter a name."),
    "filter_name_too_long": N_("The name is too long."),
    "filter_not_found": N_("Saved filter %(id)s was not found."),
    "board_forbidden": N_("The overdue board is for supervisors."),
    "case_instance_not_found": N_("This case has no such process instance."),
    "task_case_no_petition": N_("This task's case has no petition."),
    "extension_days_required": N_("Enter the number of days."),
    # Processes, instances and test-runs.
    "process_key_not_deployed": N_("The process “%(key)s” is not deployed."),
    "process_version_not_deployed": N_("Version %(version)s of the process “%(key)s” is not "
                                       "deployed."),
    "definition_not_found": N_("Process version %(id)s was not found."),
    "instance_not_found": N_("Process instance %(id)s was not found."),
    "instance_message_forbidden": N_("You may not send messages to this process."),
    "instance_not_running": N_("The process is %(status)s; nothing waits for “%(name)s”."),
    "instance_message_unexpected": N_("Nothing in this process waits for the message "
                                      "“%(name)s”."),
    "instance_retry_forbidden": N_("You may not run this process's step again."),
    "instance_not_in_error": N_("The process is %(status)s, not stopped by an error."),
    "migration_no_instance": N_("Choose at least one process to move."),
    "migration_refused": N_("Some processes cannot move to the new version: %(refused)s"),
    "testrun_process_missing": N_("The file has no process “%(key)s”."),
    "testrun_not_found": N_("This test-run no longer exists (it was discarded or not used for a "
                            "day); start a new one."),
    "testrun_not_own": N_("This test-run belongs to another designer."),
    "testrun_task_not_waiting": N_("This task is not waiting in this test-run."),
    "testrun_no_step_back": N_("The test-run has no step to go back to."),
    "testrun_too_long": N_("A test-run keeps at most %(max)s steps; start a new one."),
    "testrun_case_empty": N_("Take at least one step before saving the test-run."),
    "testrun_case_not_found": N_("This saved test-run no longer exists."),
    "investigation_team_unfit": N_("These people may not join the investigation team: "
                                   "%(problems)s"),
    "investigation_member_unfit": N_("You may no longer report for this team: %(problems)s"),
    # Forms of the pages.
    "file_missing": N_("Choose a file."),
    "date_invalid": N_("Enter a date (YYYY-MM-DD)."),
    "number_invalid": N_("Enter a number."),
    "finding_days_invalid": N_("The time limit is 1 to 366 days."),
    "supervision_instance_unknown": N_("Nothing of daily supervision belongs to this process."),
}


# The same refusals when the engine named who changed the task, how and when (`by`, `change`,
# `at`): a conflict says who did what, and that the typed input is still on the page.
CHANGED_BY = {
    "task_version_stale": N_("%(by)s %(change)s at %(at)s, after you opened this page. What you "
                             "typed is still here: copy it if you need it, then reload the "
                             "page."),
    "task_not_open": N_("%(by)s %(change)s at %(at)s; it is %(status)s now. What you typed is "
                        "still here: copy it if you need it, then reload the page."),
}
CHANGES = {"task_claimed": N_("took the task"), "task_unclaimed": N_("gave the task back"),
           "task_completed": N_("completed the task"),
           "task_reassigned": N_("reassigned the task"),
           "task_moved": N_("moved the task to another unit"),
           "task_transferred": N_("handed the task over"),
           "task_cancelled": N_("cancelled the task")}


def text(reason: str | None, params: dict | None, message: str,
         msgid: str | None = None) -> str:
    """The refusal in the user's language: by its reason when it has a page text here, else by
    its message id when that is translated, else as it is."""
    values = words(params)
    if reason in CHANGED_BY and values.get("by") and values.get("change") in CHANGES:
        return _(CHANGED_BY[reason], **{"status": "", **values,
                                        "change": _(CHANGES[values["change"]])})
    if reason in REASONS:
        return _(REASONS[reason], **values)
    if msgid and msgid in translated():
        return _(msgid, **values)
    return message


@cache
def translated() -> frozenset[str]:
    """Message ids with a Chinese translation (raise sites may carry their own)."""
    return frozenset(i18n.translated("zh"))


@bp.app_template_global("job_failure")
def job_failure(job: dict) -> str:
    """Why a background job failed, said in the reader's language."""
    return text(job.get("reason"), job.get("params"), job.get("error") or "", job.get("msgid"))
