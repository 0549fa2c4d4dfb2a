"""Template filters that show the users' words for codes (engine/glossary.py), in the page's
language: `code|term("role")`, `process_name|plain`, `unit_code|unit_name`, `username|person`."""
from __future__ import annotations

import re
from collections.abc import Mapping

from flask import g
from flask_babel import get_locale
from flask_babel import gettext as _

from engine import glossary
from engine.views import labels
from web.auth import runtime
from web.ui import N_, bp


def _lang() -> str:
    return "en" if str(get_locale() or "zh").startswith("en") else "zh"


@bp.app_template_filter("term")
def term(code, kind: str) -> str:
    """The glossary's name of `code` (a role, channel, status, deadline key, …)."""
    return glossary.name(kind, code, _lang()) if code else ""


@bp.app_template_filter("plain")
def plain(name) -> str:
    """A name written "中文 (English)" (a process's) in the page's language."""
    return glossary.bilingual(name, _lang())


@bp.app_template_filter("unit_name")
def unit_name(code) -> str:
    """A unit's name for its code (read once per request)."""
    if not code:
        return ""
    if "unit_names" not in g:
        g.unit_names = runtime().read(lambda uow: labels.unit_names(uow.session))
    return g.unit_names.get(code, code)


@bp.app_template_filter("person")
def person(username) -> str:
    """A user's display name for their username."""
    if not username:
        return ""
    cache = g.setdefault("person_names", {})
    if username not in cache:
        cache.update(runtime().read(lambda uow: labels.display_names(uow.session, [username])))
        cache.setdefault(username, username)
    return cache[username]


PERIOD = re.compile(r"^(\d{4})(?:-([QH])([1-4]))?$")
QUARTERS = {1: N_("%(year)s, first quarter"), 2: N_("%(year)s, second quarter"),
            3: N_("%(year)s, third quarter"), 4: N_("%(year)s, fourth quarter")}
HALVES = {1: N_("%(year)s, first half"), 2: N_("%(year)s, second half")}


@bp.app_template_filter("period")
def period(key) -> str:
    """A reporting period in words: `2026-Q1` → 2026年第一季度, `2026-H2` → 2026年下半年,
    `2026` → 2026年; anything else as it is."""
    found = PERIOD.match(str(key or ""))
    if found is None:
        return str(key or "")
    year, kind, n = found.groups()
    if kind is None:
        return _("%(year)s (whole year)", year=year)
    words = QUARTERS if kind == "Q" else HALVES
    return _(words[int(n)], year=year) if int(n) in words else str(key)


@bp.app_template_filter("filesize")
def filesize(size) -> str:
    """A file's size in the page's words (字节 / 千字节 / 兆字节)."""
    size = int(size or 0)
    if size < 1024:
        return _("%(n)s bytes", n=size)
    if size < 1024 * 1024:
        return _("%(n)s KB", n=round(size / 1024, 1))
    return _("%(n)s MB", n=round(size / 1024 / 1024, 1))


@bp.app_template_filter("chinese_text")
def chinese_text(text) -> str:
    """The Chinese of a mixed note (a deadline's legal basis)."""
    return glossary.chinese_text(text)


class Terms(Mapping):
    """One glossary kind as a mapping code → name in the page's language (read at use, in a
    request), so every page names a channel or category with the same words."""

    def __init__(self, kind: str):
        self.kind = kind

    def __getitem__(self, code):
        if code not in glossary.TERMS[self.kind]:
            raise KeyError(code)
        return glossary.name(self.kind, code, _lang())

    def __iter__(self):
        return iter(glossary.TERMS[self.kind])

    def __len__(self):
        return len(glossary.TERMS[self.kind])


UNIT_FIELD = re.compile(r"(^|\.)[a-z_]*_unit$")
CODE_HINT = re.compile(r"\s*[（(]单位代码[）)]")


def unit_pickers(fields: list[dict]) -> list[dict]:
    """A task form's unit fields (`…_unit`, free text in the BPMN) as pickers of real units, by
    name; the value sent stays the unit's code."""
    wanted = [f for f in fields if UNIT_FIELD.search(f["name"]) and f["type"] == "string"
              and not f["options"] and not f["readonly"]]
    if wanted:
        units = runtime().read(lambda uow: labels.active_units(uow.session))
        for f in wanted:
            f.update(widget="select", options=units, label=CODE_HINT.sub("", f["label"]))
    return fields
