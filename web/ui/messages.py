"""Texts on the pages that are not refusals (those are `web/ui/refusals.py`), in the user's
language, each by a code, never by matching its English:

- field notes (`DomainError.fields`): each an `engine.notes.Note`, whose English text is the
  API's and whose `code` and `params` choose and fill a page text of NOTE_TEXTS (jsonschema's notes
  on task forms and marshmallow's on the API's bodies are coded where they are made); a plain
  string (a text a page already put in the user's language) is shown as it is;
- the web layer's own answers (web/errors.py: CSRF, werkzeug, invalid bodies): OWN_TEXTS;
- the rule a script broke (a problem's `rule`, engine/workflow/scripting.py): SCRIPT_RULES;
- the words for values a page fills in (a `status`, a deadline `key`).

`tests/unit/test_messages.py` fails on a code without page text, a page text no code uses and
a domain error whose notes are not coded.
"""
from __future__ import annotations

from flask_babel import gettext as _

from engine.notes import Note
from web.ui import N_, bp
from web.ui.cases import DEADLINE_KEYS

STATUS_WORDS = {"open": N_("open"), "completed": N_("completed"), "closed": N_("closed"),
                "cancelled": N_("cancelled"), "merged": N_("merged"), "met": N_("met"),
                "breached": N_("breached"), "suspended": N_("suspended"),
                "not_applicable": N_("not applicable"), "running": N_("running"),
                "error": N_("in error"), "active": N_("active"), "requested": N_("requested"),
                "rejected": N_("rejected"), "ended": N_("ended")}
# Python's own words for the commonest syntax errors (the detail of "invalid expression: …").
SYNTAX_WORDS = {
    "invalid syntax": N_("the syntax is not valid"),
    "invalid syntax. Perhaps you forgot a comma?": N_("the syntax is not valid; a comma may be "
                                                      "missing"),
    "invalid syntax. Maybe you meant '==' or ':=' instead of '='?": N_(
        "the syntax is not valid; compare with == (a single = assigns)"),
    "'(' was never closed": N_("a “(” is never closed"),
    "'[' was never closed": N_("a “[” is never closed"),
    "'{' was never closed": N_("a “{” is never closed"),
    "unmatched ')'": N_("a “)” has no matching “(”"),
    "unmatched ']'": N_("a “]” has no matching “[”"),
    "unmatched '}'": N_("a “}” has no matching “{”"),
    "unterminated string literal (detected at line 1)": N_("a text has no closing quote"),
    "invalid decimal literal": N_("a number is followed by letters"),
    "expected ':'": N_("a “:” is missing"),
    "unexpected indent": N_("a line is indented where it should not be"),
    "unindent does not match any outer indentation level": N_(
        "a line's indentation matches no line above it"),
    "unexpected EOF while parsing": N_("the text ends too early"),
}
VALUE_WORDS = {"status": STATUS_WORDS, "key": DEADLINE_KEYS, "detail": SYNTAX_WORDS}

# Note code (engine/notes.py NOTES, and the libraries' codes) → the page text.
NOTE_TEXTS: dict[str, str] = {
    "required": N_("Required."),
    "invalid": N_("Not valid."),
    "unknown": N_("Unknown; choose one of the options."),
    "unknown_unit": N_("Unknown unit."),
    "retired_unit": N_("This unit is retired."),
    "exists": N_("Already exists."),
    "yourself": N_("Not yourself."),
    "own_subtree": N_("Not below the unit itself."),
    "content_mismatch": N_("The content does not match the type."),
    "empty": N_("The file is empty."),
    "too_large": N_("Too large."),
    "not_in_case": N_("Not part of this case."),
    "no_steps": N_("No step has been taken yet."),
    "may_not_work_task": N_("This person may not work this task."),
    "pattern_mismatch": N_("Not in the required form."),
    "chosen_twice": N_("Choose each option at most once."),
    "not_utf8": N_("Not UTF-8 text."),
    "not_utf8_file": N_("Not UTF-8 text."),
    "too_long": N_("Too long."),
    "unverifiable": N_("Neither proven nor ruled out: no clarification."),
    "must_be_untrue": N_("Only for the finding “untrue”."),
    "at_least_1": N_("At least one."),
    "required_by_scope": N_("Required by the approved scope."),
    "not_mistaken": N_("Only for a mistaken accusation."),
    "not_malicious": N_("Only for a malicious accusation."),
    "not_approved": N_("Not approved."),
    "required_when_aggravating": N_("Required when there are aggravating circumstances."),
    "no_proposal": N_("There is no proposal."),
    "talk_or_letter": N_("Choose a talk or a letter."),
    "countersign": N_("Must be countersigned."),
    "close_or_verification": N_("Choose close or verification."),
    "no_review_decision": N_("The joint review has not decided yet."),
    "min_0": N_("0 or more."),
    "zero_when_exempted": N_("0 when exempted."),
    "min_1": N_("At least 1."),
    "no_deadline": N_("No running time limit."),
    "out_of_range": N_("Out of range."),
    "not_extendable": N_("Cannot be extended."),
    "misconfigured": N_("Misconfigured; tell an administrator."),
    "several_years": N_("More than one year."),
    "day_kind": N_("Unknown day kind."),
    "not_docx": N_("Not a Word (.docx) file."),
    "empty_or_too_large": N_("Empty or too large."),
    "quarter_format": N_("A quarter: YYYY-Q1 to YYYY-Q4."),
    "half_year_format": N_("A half year or a year: YYYY-H1, YYYY-H2 or YYYY."),
    "score_range": N_("0 to 100."),
    "due_colours": N_("Green, yellow or red."),
    "scopes": N_("Mine, my unit or all."),
    "open_or_completed": N_("Open or completed."),
    "unknown_user": N_("Unknown user."),
    "not_eligible": N_("May not work on this task."),
    "must_be_object": N_("Must be a set of named values."),
    "reserved_name": N_("This name is reserved."),
    "unchanged": N_("Same as the current one."),
    "wrong": N_("Wrong."),
    "unknown_petition_number": N_("No petition has this number."),
    "same_petition": N_("The same petition."),
    "cycle": N_("That would make a circle of repeats."),
    "none": N_("None."),
    "already_linked": N_("Already linked."),
    "sealed": N_("A sealed forward."),
    "required_no_accused": N_("Required when the correction removes every accused person."),
    "withdrawn": N_("Withdrawn."),
    "quarter_number": N_("1 to 4."),
    "at_least_one": N_("Choose at least one."),
    "future": N_("Not begun yet."),
    "share_range": N_("More than 0, at most 1."),
    "required_when_check_fails": N_("Required when a check fails."),
    "before_from": N_("Not before the start."),
    "max_years": N_("At most %(years)s years."),
    "required_with_other": N_("Give both."),
    "not_department": N_("Your unit is not a department."),
    "not_township": N_("Your unit is not a township."),
    "member_unit_required": N_("Name at least one member unit."),
    "no_open_review": N_("No open joint review."),
    "positions_missing": N_("Not every member unit has stated its position."),
    "one_zone": N_("Townships of one collaboration zone."),
    "not_inspected": N_("Not inspected."),
    "days_range": N_("1 to 366 days."),
    "or_record_findings": N_("Tick this, or record findings."),
    "findings_exist": N_("Findings are recorded."),
    "a_date": N_("Enter a date."),
    "no_change": N_("Nothing changed."),
    "max_length": N_("Too long: at most %(max)s characters. Nothing was cut; shorten it."),
    "search_kinds": N_("Petition, clue or case."),
    "no_petition": N_("No petition."),
    "reporter_data": N_("Holds the reporter's personal data."),
    "accused_named": N_("Names the accused."),
    "another_village": N_("Belongs to another village."),
    "whole_number": N_("Enter a whole number."),
    "not_assigned": N_("No handling unit yet."),
    "same_unit": N_("Already handled there."),
    "stale_request": N_("The request no longer applies."),
    "not_set": N_("Not set yet."),
    "not_zone_township": N_("Not a township of a collaboration zone."),
    "no_escalation": N_("No escalation started this process."),
    "team_member": N_("Must be one of the team."),
    "not_a_number": N_("Enter a number."),
    "a_number": N_("Enter a number."),
    "date_format": N_("Enter a date (YYYY-MM-DD)."),
    "status": N_("Now %(status)s."),
    "one_of": N_("Choose one of the options."),
    "options": N_("Choose one of the options."),
    "choice": N_("Choose one of the options."),
    "name": N_("%(name)s"),
    "unknown_role": N_("Unknown role “%(role)s”."),
    "open_tasks": N_("%(n)s open task(s)"),
    "active_users": N_("active users %(users)s"),
    "task": N_("Task %(id)s."),
    "task_not_held": N_("Task %(id)s is not an open task of %(user)s."),
    "target_unknown": N_("Task %(id)s: there is no user “%(user)s”."),
    "target_not_eligible": N_("Task %(id)s: %(user)s may not work on it."),
    "allowed_types": N_("Allowed: %(types)s."),
    "detail": N_("%(detail)s"),
    "unknown_unit_code": N_("Unknown unit %(unit)s."),
    "required_when_position": N_("Required when you disagree or add to it."),
    "not_for_finding": N_("Does not fit the finding."),
    "max_rehandlings": N_("At most %(n)s re-handlings."),
    "check": N_("Check %(key)s."),
    "rule": N_("This rule is broken."),
    "max_depth": N_("Nested too deep (more than %(max)s levels)."),
    "required_unless_anonymous": N_("Required unless the report is anonymous."),
    "accused_or_reason": N_("Name an accused person, or say why no one can be named."),
    "not_township_code": N_("Not a township."),
    "not_future": N_("Cannot be in the future."),
    "min_members": N_("At least 1."),
    "present_range": N_("Between 0 and the number of members."),
    "not_negative": N_("Not negative."),
    "votes_exceed": N_("The votes add up to more than those present."),
    "file_missing": N_("Choose a file."),
    "wrong_type": N_("Wrong format."),
    "json_object": N_("Must be a set of named values."),
    "unknown_field": N_("Not part of this form."),
    "date_range": N_("Between %(first)s and %(last)s."),
    "too_short": N_("Too short."),
    "is_username": N_("Not the user name."),
    "too_common": N_("Too common; choose another."),
    "no_active_user": N_("%(name)s: no such active user."),
    "not_zone_caseworker": N_("%(name)s is not a caseworker of a township in %(zone)s."),
    "own_township":
        N_("%(name)s works in the accused's own township %(unit)s and must step aside (回避)."),
    "recused": N_("%(name)s is recused from this case (回避)."),
    "not_an_option": N_("Choose one of the options."),
    "too_small": N_("Too small."),
    "not_a_date": N_("Enter a date."),
    "not_a_date_time": N_("Enter a date and time."),
    "length_between": N_("%(min)s to %(max)s characters."),
}

# The web layer's own answers (web/errors.py, no reason): by the envelope's code, or "csrf" for a
# form posted from a stale page (flask-wtf's CSRFError), never by their English.
OWN_TEXTS = {
    "invalid": N_("Some fields are not valid."),
    "bpmn_invalid": N_("The BPMN cannot run; nothing was deployed."),
    "internal_error": N_("An unexpected error occurred; it has been logged."),
    "csrf": N_("The page is out of date; reload it and try again."),
    "forbidden": N_("You may not open this page or do this."),
    "not_found": N_("There is no such page or item."),
    "request_entity_too_large": N_("Upload a smaller file."),
    "too_many_requests": N_("Wait a moment and try again."),
}


def own_text(code: str | None, message: str) -> str:
    """The web layer's own answer `code` in the user's language; `message` when it has none."""
    return _(OWN_TEXTS[code]) if code in OWN_TEXTS else message


def words(params: dict | None) -> dict:
    """`params` with a status or deadline key, and a note, in the user's language."""
    return {name: _(VALUE_WORDS[name][value])
            if name in VALUE_WORDS and isinstance(value, str) and value in VALUE_WORDS[name]
            else localize(value) if isinstance(value, Note)
            else value for name, value in (params or {}).items()}


# The rule a script or expression broke (a `script_refused` or `task_failed` problem's `rule`,
# engine/workflow/scripting.py) → the page text, filled with the problem's `rule_<name>` params.
SCRIPT_RULES: dict[str, str] = {
    "deadline_unknown": N_("The time limit “%(key)s” is not configured."),
    "node_not_allowed": N_("%(what)s is not allowed in scripts."),
    "decorators": N_("Decorators are not allowed in scripts."),
    "def_defaults": N_("The parameters of a def may not have default values."),
    "annotations": N_("Annotations are not allowed in scripts."),
    "def_hides_helper": N_("A def named “%(name)s” would hide the helper of that name; choose "
                           "another name."),
    "vars_argument": N_("vars() takes no argument in scripts."),
    "name_not_allowed": N_("The name “%(name)s” is not allowed."),
    "attribute_not_allowed": N_("The attribute “%(name)s” is not allowed."),
    "name_unavailable": N_("“%(name)s” is not available in scripts."),
    "attribute_assigned": N_("Assigning the attribute “%(name)s” is not allowed."),
    "lambda_defaults": N_("A lambda may not have default values."),
    "fstring_fields": N_("An f-string may have at most %(n)s fields."),
    "computed_format_spec": N_("Computed format specifications are not allowed."),
    "format_width": N_("Format widths above %(n)s are not allowed."),
    "source_too_long": N_("The script or expression is longer than %(n)s characters."),
    "syntax": N_("Invalid script or expression: %(detail)s"),
    "nested_too_deep": N_("The expression is nested too deep."),
    "constant_too_long": N_("A text constant in the script is too long."),
}


@bp.app_template_filter("localize")
def localize(message: str) -> str:
    """One field note in the user's language: by its code; a plain string as it is."""
    if isinstance(message, Note) and message.code in NOTE_TEXTS:
        return _(NOTE_TEXTS[message.code], **words(message.params))
    return message


def script_detail(params: dict) -> str:
    """The `detail` of a problem in the user's language: by the script rule it names (see
    SCRIPT_RULES); as it is when it names none (RestrictedPython's own words, a budget)."""
    rule = params.get("rule")
    if rule in SCRIPT_RULES:
        values = {k.removeprefix("rule_"): v for k, v in params.items() if k.startswith("rule_")}
        return _(SCRIPT_RULES[rule], **words(values))
    return params.get("detail") or ""


@bp.app_template_filter("notes")
def notes(messages) -> list[str]:
    """A field's notes in the user's language, each text once (a list of allowed values is one
    "choose one of the options")."""
    return list(dict.fromkeys(localize(m) for m in messages or []))
