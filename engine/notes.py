"""Notes on one field of a refusal (`DomainError.fields`): each a `Note`, which IS its English
text (what the API shows in `error.fields`, unchanged) and carries a stable `code` and the
`params` that fill it. Pages show the note by its code (`web/ui/messages.py`), never by matching
the English.

    raise Invalid("the name is too long", reason="filter_name_too_long",
                  fields={"name": [notes.note("max_length", max=100)]})

Notes of the libraries (jsonschema for task forms, marshmallow for the API's bodies) keep the
library's English and are coded where they are made (`Note(code, text, **params)`).
`tests/unit/test_messages.py` walks every raise site and fails on a note that is not coded.
"""
from __future__ import annotations

# code → the English note (the API's text), with %(name)s placeholders for its params.
NOTES: dict[str, str] = {
    "required": "required",
    "invalid": "invalid",
    "unknown": "unknown",
    "unknown_unit": "unknown unit",
    "retired_unit": "retired unit",
    "exists": "already exists",
    "yourself": "yourself",
    "own_subtree": "inside the unit's own subtree",
    "content_mismatch": "content does not match the type",
    "empty": "empty",
    "too_large": "too large",
    "not_in_case": "not in this case",
    "not_utf8": "not UTF-8 text",
    "not_utf8_file": "not UTF-8",
    "too_long": "too long",
    "unverifiable": "unverifiable: no clarification",
    "must_be_untrue": "must be untrue",
    "at_least_1": ">= 1",
    "required_by_scope": "required by the approved scope",
    "not_mistaken": "not a mistaken accusation",
    "not_malicious": "not malicious",
    "not_approved": "not approved",
    "required_when_aggravating": "required when aggravating",
    "no_proposal": "no proposal",
    "talk_or_letter": "talk or letter",
    "countersign": "must be countersigned",
    "close_or_verification": "close or verification",
    "no_review_decision": "no joint review decision",
    "min_0": "must be 0 or more",
    "zero_when_exempted": "must be 0 when exempted",
    "min_1": "must be at least 1",
    "no_deadline": "no deadline",
    "out_of_range": "out of range",
    "not_extendable": "not extendable",
    "misconfigured": "misconfigured",
    "several_years": "several years",
    "day_kind": "kind",
    "not_docx": "not a .docx",
    "empty_or_too_large": "empty or too large",
    "quarter_format": "YYYY-Q1 to YYYY-Q4",
    "half_year_format": "YYYY-H1, YYYY-H2 or YYYY",
    "score_range": "0 to 100",
    "due_colours": "green, yellow or red",
    "scopes": "mine, unit or all",
    "open_or_completed": "open or completed",
    "unknown_user": "unknown user",
    "not_eligible": "not eligible for this task",
    "must_be_object": "must be an object",
    "reserved_name": "reserved name",
    "unchanged": "unchanged",
    "wrong": "wrong",
    "unknown_petition_number": "unknown petition number",
    "same_petition": "same petition",
    "cycle": "cycle",
    "none": "none",
    "already_linked": "already linked",
    "sealed": "yes",
    "required_no_accused": "required when the correction removes every accused",
    "withdrawn": "withdrawn",
    "quarter_number": "1 to 4",
    "at_least_one": "at least one",
    "future": "in the future",
    "share_range": "0 < share <= 1",
    "required_when_check_fails": "required when a check fails",
    "before_from": "must not be before from",
    "max_years": "at most %(years)s years",
    "required_with_other": "required with the other",
    "not_department": "your unit is not a department",
    "not_township": "your unit is not a township",
    "member_unit_required": "name at least one member unit",
    "no_open_review": "no open joint review",
    "positions_missing": "not every member unit has stated its position",
    "one_zone": "one zone",
    "not_inspected": "not inspected",
    "days_range": "1..366",
    "or_record_findings": "or record findings",
    "findings_exist": "findings exist",
    "a_date": "a date",
    "no_change": "no change",
    "max_length": "at most %(max)s characters",
    "search_kinds": "petition, clue or case",
    "no_petition": "no petition",
    "reporter_data": "reporter data",
    "accused_named": "accused named",
    "another_village": "another village",
    "whole_number": "a whole number",
    "not_assigned": "not assigned",
    "same_unit": "same unit",
    "stale_request": "stale request",
    "not_set": "not set",
    "not_zone_township": "not a township in a zone",
    "no_escalation": "no escalation for this process",
    "team_member": "must be one of the team",
    "not_a_number": "not a number",
    "a_number": "a number",
    "date_format": "YYYY-MM-DD",
    "status": "%(status)s",
    "one_of": "one of %(options)s",
    "options": "%(options)s",
    "choice": "%(value)s",
    "name": "%(name)s",
    "unknown_role": "unknown role %(role)s",
    "open_tasks": "%(n)s open task(s)",
    "active_users": "active users %(users)s",
    "task": "%(id)s",
    "task_not_held": "%(id)s: not held by %(user)s",
    "target_unknown": "%(id)s: unknown user %(user)s",
    "target_not_eligible": "%(id)s: %(user)s may not work this task",
    "allowed_types": "allowed: %(types)s",
    "detail": "%(detail)s",
    "unknown_unit_code": "unknown unit %(unit)s",
    "required_when_position": "required when the position is %(position)s",
    "not_for_finding": "not allowed when the finding is %(finding)s",
    "max_rehandlings": "at most %(n)s re-handlings",
    "check": "%(key)s",
    "rule": "%(rule)s",
    "max_depth": "nested deeper than %(max)s levels",
    "required_unless_anonymous": "required unless the report is anonymous",
    "accused_or_reason": "name an accused person or say why none is named",
    "not_township_code": "not a township unit code",
    "not_future": "cannot be in the future",
    "min_members": "at least 1",
    "present_range": "between 0 and the members",
    "not_negative": "not negative",
    "votes_exceed": "the votes add up to more than those present",
    "file_missing": "choose a file",
    "wrong_type": "is not of type",
    "json_object": "must be a JSON object",
    "unknown_field": "unknown field",
    "date_range": "must be between %(first)s and %(last)s",
    "too_short": "too short",
    "is_username": "the user name",
    "too_common": "too common",
    "no_active_user": "%(name)s: no such active user",
    "not_zone_caseworker": "%(name)s: not a caseworker of a township in %(zone)s",
    "own_township": "%(name)s: works in the accused's own township %(unit)s (回避)",
    "no_steps": "no steps",
    "may_not_work_task": "may not work this task",
    "pattern_mismatch": "does not match the pattern",
    "chosen_twice": "chosen more than once",
    "recused": "%(name)s: recused from this case (回避)",
}


class Note(str):
    """A field note: the English `text` (a `str`, so JSON and the API see only the text), its
    `code` and `params`."""

    code: str
    params: dict

    def __new__(cls, code: str, text: str | None = None, /, **params) -> Note:
        if text is None:
            text = NOTES[code] % params if params else NOTES[code]
        self = super().__new__(cls, text)
        self.code, self.params = code, params
        return self

    def format(self, *args, **kwargs) -> Note:
        """marshmallow fills its messages with `str.format`: the filled note keeps its code, and
        as params the values its text shows (not the input it refused)."""
        return Note(self.code, str.format(self, *args, **kwargs),
                    **{k: v for k, v in kwargs.items() if f"{{{k}}}" in self})

    def __reduce__(self):
        return _rebuild, (self.code, str(self), self.params)


def _rebuild(code: str, text: str, params: dict) -> Note:
    return Note(code, text, **params)


def note(code: str, **params) -> Note:
    """The note `code` of the table above, filled with `params`."""
    return Note(code, **params)


def choices(values) -> list[Note]:
    """One note per allowed value (the API lists them; a page says to choose one)."""
    return [Note("choice", value=str(value)) for value in values]
