"""Messages that carry no reason, in the user's language, for the pages only: field notes (the
engine's, jsonschema's for task forms, marshmallow's for intake), the script policy's details and
the web layer's own refusals (CSRF, werkzeug). Every refusal the engine raises is coded and shown
from its reason (`web/ui/refusals.py`; `tests/unit/test_refusals.py` keeps it so), never here.

Each entry is a pattern over one English message and the text to show, with the captured values
put back (a `status` or deadline `key` is translated too). A message no pattern knows is shown as
it is. `tests/unit/test_messages.py` checks that every pattern still fits a message the code (or
jsonschema, marshmallow) really produces.
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

MESSAGES: list[tuple[re.Pattern, str]] = [(re.compile(p), text) for p, text in [
    # A script's refusal at run time, stored as its instance's error (the failed page).
    (r"deadline key " + Q.format("key") + r" is not configured",
     N_("The time limit “%(key)s” is not configured.")),
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
