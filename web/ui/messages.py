"""The engine's English refusals (and field notes) in the user's language, for the pages only.

The engine's messages are the HTTP API's contract and stay English; a page shows them through
`localize`. Each entry is a pattern over one English message as the engine formats it and the
text to show, with the captured values put back (a `status` or deadline `key` is translated
too). A message no pattern knows is shown as it is. `tests/unit/test_messages.py` checks that
every pattern still fits a message the engine (or jsonschema, marshmallow) really produces.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _
from werkzeug import exceptions as http

from web.ui import N_, bp
from web.ui.cases import DEADLINE_KEYS

Q = r"'(?P<{}>[^']*)'"  # a value the engine quotes with !r
STATUS_WORDS = {"open": N_("open"), "completed": N_("completed"), "closed": N_("closed"),
                "cancelled": N_("cancelled"), "merged": N_("merged"), "met": N_("met"),
                "breached": N_("breached"), "suspended": N_("suspended"),
                "not_applicable": N_("not applicable"), "running": N_("running"),
                "error": N_("in error"), "active": N_("active"), "requested": N_("requested"),
                "rejected": N_("rejected"), "ended": N_("ended")}
VALUE_WORDS = {"status": STATUS_WORDS, "key": DEADLINE_KEYS}

MESSAGES: list[tuple[re.Pattern, str]] = [(re.compile(p), text) for p, text in [
    # Tasks: see, claim, give back, complete.
    (r"task (?P<id>\S+) not found", N_("Task %(id)s was not found.")),
    (r"task has changed \(version (?P<version>\d+), you sent (?P<sent>\S+)\)",
     N_("The task has changed (now version %(version)s, you sent %(sent)s); reload the page.")),
    (r"task is (?P<status>\w+)", N_("The task is %(status)s.")),
    (r"task (?P<id>\S+) is (?P<status>\w+)", N_("The task is %(status)s.")),
    (r"the form has errors", N_("The form has errors; see the marked fields.")),
    (r"this task's case has no petition", N_("This task's case has no petition.")),
    (r"a reason is required", N_("Give a reason.")),
    # Deadlines and extensions.
    (r"the number of days is required", N_("Enter the number of days.")),
    # Attachments.
    (r"choose a file", N_("Choose a file.")),
    # Inbox and saved filters.
    (r"unknown tab " + Q.format("value"), N_("There is no tab “%(value)s”.")),
    (r"unknown sort " + Q.format("value"), N_("Unknown sort order “%(value)s”.")),
    (r"unknown category " + Q.format("value"), N_("Unknown category “%(value)s”.")),
    (r"the search text is too long", N_("The search text is too long.")),
    (r"give the filter a name", N_("Give the filter a name.")),
    (r"the name is too long", N_("The name is too long.")),
    (r"saved filter (?P<id>\d+) not found", N_("Saved filter %(id)s was not found.")),
    # Supervisor tools: reassignment, the case page, escalation.
    (r"only a supervisor of the task's unit may list who can take it",
     N_("Only a supervisor of the task's unit may see who can take it.")),
    (r"the overdue board is for supervisors", N_("The overdue board is for supervisors.")),
    (r"process instance (?P<id>\S+) not found", N_("Process instance %(id)s was not found.")),
    (r"no such process instance in this case", N_("This case has no such process instance.")),
    (r"process " + Q.format("key") + r" is not deployed",
     N_("The process “%(key)s” is not deployed.")),
    (r"process " + Q.format("key") + r" version (?P<version>\d+) is not deployed",
     N_("Version %(version)s of the process “%(key)s” is not deployed.")),
    # Intake.
    # Administration: units, users, recusal, calendars.
    (r"this needs the administrator role", N_("This needs the administrator role.")),
    (r"unit " + Q.format("unit") + r" not found", N_("Unit %(unit)s was not found.")),
    (r"unit " + Q.format("unit") + r" is retired", N_("Unit %(unit)s is retired.")),
    (r"unit " + Q.format("unit") + r" is already retired",
     N_("Unit %(unit)s is already retired.")),
    (r"unit " + Q.format("unit") + r" exists", N_("Unit code %(unit)s is already taken.")),
    (r"code and name are required", N_("Enter a code and a name.")),
    (r"unknown kind " + Q.format("value"), N_("Unknown unit kind “%(value)s”.")),
    (r"(?P<unit>\S+) cannot move below itself or a unit below it",
     N_("%(unit)s cannot move below itself or a unit below it.")),
    (r"unit (?P<unit>\S+) cannot be retired: it or a unit below it has (?P<n>\d+) open "
     r"task\(s\); move them first",
     N_("Unit %(unit)s cannot be retired: it or a unit below it has %(n)s open task(s); "
        "move them first.")),
    (r"unit (?P<unit>\S+) cannot be retired: it or a unit below it has active users "
     r"(?P<users>.+); move them first",
     N_("Unit %(unit)s cannot be retired: it or a unit below it has active users "
        "%(users)s; move them first.")),
    (r"unit (?P<unit>\S+) cannot be retired: it or a unit below it has (?P<n>\d+) open "
     r"task\(s\) and active users (?P<users>.+); move them first",
     N_("Unit %(unit)s cannot be retired: it or a unit below it has %(n)s open task(s) and "
        "active users %(users)s; move them first.")),
    (r"roles are (?P<roles>.+)", N_("Choose roles among: %(roles)s.")),
    (r"user " + Q.format("user") + r" is already inactive",
     N_("User %(user)s is already deactivated.")),
    (r"you cannot deactivate yourself", N_("You cannot deactivate yourself.")),
    (r"(?P<user>\S+) holds (?P<n>\d+) open task\(s\) that must be transferred first: "
     r"(?P<tasks>.+)",
     N_("%(user)s holds %(n)s open task(s) that must be transferred first: %(tasks)s")),
    (r"task (?P<id>\S+) is not an open task of (?P<user>\S+)",
     N_("Task %(id)s is not an open task of %(user)s.")),
    (r"some transfer targets are not eligible",
     N_("Some of the chosen users may not take the task given to them.")),
    (r"person_kind is accused or reporter", N_("Choose the accused person or the reporter.")),
    (r"name the person", N_("Name the person.")),
    (r"name the relation", N_("Name the relation.")),
    (r"you may only declare your own relations", N_("You may only declare your own relations.")),
    (r"relation (?P<id>\d+) not found", N_("Relation %(id)s was not found.")),
    (r"only a supervisor over the user's unit decides a recusal",
     N_("Only a supervisor over the user's unit decides a recusal.")),
    (r"relation is (?P<status>\w+)", N_("The relation is %(status)s.")),
    (r"you may not end this relation", N_("You may not end this relation.")),
    (r"choose a calendar file", N_("Choose a calendar file.")),
    (r"the calendar file is not UTF-8", N_("The calendar file is not UTF-8 text.")),
    (r"deadline key " + Q.format("key") + r" is not configured",
     N_("The time limit “%(key)s” is not configured.")),
    # The process designer: its problems are coded (engine/workflow/problems.py) and the page
    # shows them from their reason (web/ui/designer.py); only the request's own refusal here.
    (r"no BPMN file given", N_("No BPMN file was sent.")),
    # Scripts or expressions the restricted evaluator refuses (scripting.check), shown as the
    # detail of a `script_refused` problem.
    (r"(?P<what>\w+|try/except) is not allowed in scripts",
     N_("%(what)s is not allowed in scripts.")),
    (r"decorators are not allowed in scripts", N_("Decorators are not allowed in scripts.")),
    (r"default values of def parameters are not allowed",
     N_("The parameters of a def may not have default values.")),
    (r"annotations are not allowed in scripts", N_("Annotations are not allowed in scripts.")),
    (r"def " + Q.format("name") + r" would hide a helper of the same name",
     N_("A def named “%(name)s” would hide the helper of that name; choose another name.")),
    (r"vars\(\) takes no argument in scripts", N_("vars() takes no argument in scripts.")),
    (r"the name " + Q.format("name") + r" is not allowed",
     N_("The name “%(name)s” is not allowed.")),
    (Q.format("name") + r" is not available in scripts",
     N_("“%(name)s” is not available in scripts.")),
    (r"assigning the attribute " + Q.format("name") + r" is not allowed",
     N_("Assigning the attribute “%(name)s” is not allowed.")),
    (r"the attribute " + Q.format("name") + r" is not allowed",
     N_("The attribute “%(name)s” is not allowed.")),
    (r"lambda default values are not allowed", N_("A lambda may not have default values.")),
    (r"an f-string may have at most (?P<n>\d+) fields",
     N_("An f-string may have at most %(n)s fields.")),
    (r"computed format specifications are not allowed",
     N_("Computed format specifications are not allowed.")),
    (r"format widths above (?P<n>\d+) are not allowed",
     N_("Format widths above %(n)s are not allowed.")),
    (r"longer than (?P<n>\d+) characters",
     N_("The script or expression is longer than %(n)s characters.")),
    (r"invalid expression: (?P<detail>.+)",
     N_("Invalid script or expression: %(detail)s")),
    # Test-runs (engine/processes/testrun.py).
    (r"test-run (?P<id>\S+) not found \(discarded, or unused for a day\)",
     N_("This test-run no longer exists (it was discarded or not used for a day); start a new "
        "one.")),
    (r"this test-run belongs to another designer",
     N_("This test-run belongs to another designer.")),
    (r"task (?P<id>\S+) is not waiting in this test-run",
     N_("This task is not waiting in this test-run.")),
    # Refusals of the web layer itself (web/errors.py, CSRF).
    (r"the request has invalid fields", N_("Some fields are not valid.")),
    (r"the BPMN cannot run; nothing was deployed",
     N_("The BPMN cannot run; nothing was deployed.")),
    (r"an unexpected error occurred; it has been logged",
     N_("An unexpected error occurred; it has been logged.")),
    (r"The CSRF token has expired\.", N_("The page was open too long; reload it and try again.")),
    (r"The CSRF (token is missing|session token is missing|tokens do not match|token is invalid)\.",
     N_("The page is out of date; reload it and try again.")),
    # werkzeug's own descriptions: a page refused by role, a missing page, a too large upload.
    (re.escape(http.Forbidden.description), N_("You may not open this page or do this.")),
    (re.escape(http.NotFound.description), N_("There is no such page or item.")),
    (re.escape(http.RequestEntityTooLarge.description), N_("Upload a smaller file.")),
    (re.escape(http.TooManyRequests.description), N_("Wait a moment and try again.")),
    # Notes on one field: the engine's, jsonschema's (task forms), marshmallow's (intake).
    (r"required|Missing data for required field\.|Field may not be null\.",
     N_("Required.")),
    (r"unknown field|Unknown field\.", N_("Not part of this form.")),
    (r"(.+ )?is not of type( .+)?|Not a valid \w+\.", N_("Wrong format.")),
    (r".+ is not one of .+|Must be one of: .+", N_("Choose one of the options.")),
    (r".+ is not a 'date'", N_("Enter a date.")),
    (r".+ is not a 'date-time'", N_("Enter a date and time.")),
    (r"(['\"]).*\1 (is too short|should be non-empty)|Shorter than minimum length \d+\.",
     N_("Too short.")),
    (r"Longer than maximum length (?P<max>\d+)\.",
     N_("Too long: at most %(max)s characters. Nothing was cut; shorten it.")),
    (r"at most (?P<max>\d+) characters",
     N_("Too long: at most %(max)s characters. Nothing was cut; shorten it.")),
    (r"(['\"]).*\1 is too long",
     N_("Too long.")),
    (r"name an accused person or say why none is named",
     N_("Name an accused person, or say why no one can be named.")),
    (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.",
     N_("%(min)s to %(max)s characters.")),
    (r".+ is less than (or equal to )?the minimum of .+", N_("Too small.")),
    (r".+ is greater than (or equal to )?the maximum of .+|too large", N_("Too large.")),
    (r"too short", N_("Too short.")),
    (r"already exists", N_("Already exists.")),
    (r"unknown unit", N_("Unknown unit.")),
    (r"unknown user", N_("Unknown user.")),
    (r"retired unit", N_("This unit is retired.")),
    (r"inside the unit's own subtree", N_("Not below the unit itself.")),
    (r"yourself", N_("Not yourself.")),
    (r"at least one", N_("Choose at least one.")),
    (r"unknown role (?P<role>\S+)", N_("Unknown role “%(role)s”.")),
    (r"(?P<n>\d+) open task\(s\)", N_("%(n)s open task(s)")),
    (r"active users (?P<users>.+)", N_("active users %(users)s")),
    (r"empty", N_("The file is empty.")),
    (r"not UTF-8 text", N_("Not UTF-8 text.")),
    (r"content does not match the type", N_("The content does not match the type.")),
    (r"allowed: (?P<types>.+)", N_("Allowed: %(types)s.")),
    (r"not in this case", N_("Not part of this case.")),
]]


@bp.app_template_filter("localize")
def localize(message: str) -> str:
    """`message` (a domain error or a field note) in the user's language; as is if unknown."""
    for pattern, text in MESSAGES:
        found = pattern.fullmatch(str(message))
        if found:
            values = {name: _(VALUE_WORDS[name][value])
                      if name in VALUE_WORDS and value in VALUE_WORDS[name] else value
                      for name, value in found.groupdict().items()}
            return _(text, **values)
    return message
