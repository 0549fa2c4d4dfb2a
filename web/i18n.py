"""Interface languages: Chinese (zh) by default, English selectable (Flask-Babel).

Source strings are English; `zh` is Simplified Chinese as written in mainland China (zh_CN;
Babel's data knows it as `zh`/`zh_Hans_CN`, so the catalog is named `zh`). Each area keeps its own catalog under
`web/translations/<area>/<lang>/LC_MESSAGES/messages.po` so areas can be translated
independently; Flask-Babel merges them. The `.po` files are the source of truth: stale or missing
`.mo` files are compiled when the app starts (they are not committed).

`python -m web.i18n missing` lists the strings of templates and `web/ui/` that lack a translation;
`python -m web.i18n update AREA [PREFIX...]` appends them (those used under PREFIX, e.g.
`web/templates/inbox`) to AREA's catalogs: English filled in, Chinese left for you to write.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, has_app_context, request, session
from flask_babel import Babel, get_translations

ROOT = Path(__file__).parent
TRANSLATIONS = ROOT / "translations"
LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT = "zh"
# Where user-visible strings live, and how Babel extracts them.
EXTRACT_METHODS = [("ui/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "N_": None}


def catalogs() -> list[Path]:
    """Every area's `.po` file, all languages."""
    return sorted(TRANSLATIONS.glob("*/*/LC_MESSAGES/messages.po"))


def compile_catalogs() -> None:
    """Compile each `.po` whose `.mo` is missing or older."""
    for po in catalogs():
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f)
        # One temporary file per process: test workers (and web processes) may compile at once.
        tmp = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        tmp.replace(mo)


def select_locale() -> Locale:
    """The session's choice, else the browser's preference among ours, else Chinese."""
    chosen = session.get("lang")
    if chosen not in LANGUAGES:
        best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
        chosen = "en" if best == "en" else DEFAULT
    return Locale(chosen)


def register(app: Flask) -> None:
    compile_catalogs()
    directories = sorted(str(p) for p in TRANSLATIONS.iterdir() if p.is_dir())
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(directories)
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT
    Babel(app, locale_selector=select_locale,
          timezone_selector=lambda: g.get("timezone"))
    # Templates translate with the request's catalog, looked up once: Flask-Babel's own
    # callables look it up for every string (~13 µs; an inbox page says ~300).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _catalog().ugettext(s),
        ngettext=lambda s, p, n: _catalog().ungettext(s, p, n),
        pgettext=lambda c, s: _catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalog().unpgettext(c, s, p, n), newstyle=True)


def _catalog():
    """The translations of this request's language (outside an app context: none)."""
    if not has_app_context():
        return get_translations()
    found = g.get("_catalog")
    if found is None:
        found = g._catalog = get_translations()
    return found


def source_strings() -> dict[str, str]:
    """msgid → first place it is used, from templates and `web/ui/`."""
    found: dict[str, str] = {}
    options = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}
    for filename, lineno, message, _comments, _ctx in extract_from_dir(
            str(ROOT), EXTRACT_METHODS, keywords=KEYWORDS,
            options_map={"templates/**.html": options}):
        for msgid in (message if isinstance(message, tuple) else (message,)):
            if msgid:
                found.setdefault(msgid, f"web/{filename}:{lineno}")
    return found


def translated(lang: str) -> set[str]:
    """msgids with a non-empty translation in `lang`, across every area."""
    done: set[str] = set()
    for po in TRANSLATIONS.glob(f"*/{lang}/LC_MESSAGES/messages.po"):
        with po.open("rb") as f:
            for message in read_po(f):
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                if message.id and all(strings) and not message.fuzzy:
                    ids = message.id if isinstance(message.id, tuple) else (message.id,)
                    done.update(ids)
    return done


def missing() -> dict[str, list[str]]:
    """Per language, the source strings without a translation (`where: msgid`)."""
    strings = source_strings()
    gaps = {}
    for lang in LANGUAGES:
        done = translated(lang)
        gaps[lang] = sorted(f"{where}: {msgid}" for msgid, where in strings.items()
                            if msgid not in done)
    return gaps


def update(area: str, prefixes: list[str]) -> int:
    """Append untranslated source strings to `area`'s catalogs; returns how many."""
    strings = source_strings()
    added = 0
    for lang in LANGUAGES:
        po = TRANSLATIONS / area / lang / "LC_MESSAGES" / "messages.po"
        po.parent.mkdir(parents=True, exist_ok=True)
        if not po.exists():
            po.write_text(f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
                          f'"Language: {lang}\\n"\n', encoding="utf-8")
        with po.open("rb") as f:
            present = {m.id for m in read_po(f) if m.id}
        done = translated(lang)
        with po.open("a", encoding="utf-8") as f:
            for msgid, where in sorted(strings.items(), key=lambda kv: kv[1]):
                if msgid in done or msgid in present or \
                        (prefixes and not any(where.startswith(p) for p in prefixes)):
                    continue
                text = msgid if lang == "en" else ""
                f.write(f"\n#: {where}\nmsgid {_quote(msgid)}\nmsgstr {_quote(text)}\n")
                added += 1
    return added


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "update":
        print(f"added {update(sys.argv[2], sys.argv[3:])} entries")
        sys.exit(0)
    if sys.argv[1:] == ["missing"]:
        gaps = missing()
        for lang, items in gaps.items():
            for item in items:
                print(f"{lang}\t{item}")
        sys.exit(1 if any(gaps.values()) else 0)
    print("usage: python -m web.i18n missing | update AREA [PREFIX...]")
    sys.exit(2)
