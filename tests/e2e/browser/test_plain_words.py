"""Plain words (issue 20): every role walks every page its navigation reaches — administration's
sub-pages, each inbox tab and the first task and case page of each tab, a search from the top
bar — and the visible text
holds no internal code in Chinese (ASCII identifiers, snake_case words, English words, coded
numbers such as `petition-office-2026-C000026`), and no Chinese interface string in English.

`ALLOWED` is the short, justified list of ASCII words a Chinese page may show. `PENDING` lists
what the walk still finds and is not fixed yet, each with where it comes from: the test fails
when a new code appears and also when a pending one is gone (so the list only shrinks).
"""
from __future__ import annotations

import functools
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from babel.messages.pofile import read_po

from engine import glossary
from tests.e2e.browser.conftest import login, settle

ROOT = Path(__file__).resolve().parents[3]
ROLES = ["clerk", "a-worker", "a-head", "admin", "designer", "s-inspector", "a-rectifier",
         "housing-registrar", "reviewer", "east-secretary", "a-editor"]
ALLOWED = {
    "cluedesk",  # the product's name in the top bar
    "English",  # the language switch names each language in itself
    "Excel", "PDF", "Word", "BPMN", "CSV", "YAML",  # file formats
    "docx", "pdf", "xlsx", "zip",  # the extension of a file name shown for download
    "Ctrl", "Cmd",  # keys as printed on the keyboard ("按住 Ctrl 可多选")
}
# Names of real things written with Latin letters inside them (a field label of the village
# disclosure steps names the province's platform 村务e阳光).
PROPER_NAMES = ("村务e阳光",)
# Where administrators manage login names and unit codes, those are what they read and type (the
# units page names units by name; a unit's code shows in its change panel).
IDENTIFIER_PAGES = ("/admin/users", "/admin/units", "/admin/relations")
# The calendar upload says which fields its file holds; the administrator writes those words.
FILE_FIELDS = {"/admin/calendars": {"year", "holidays", "workdays", "date", "kind", "name"}}
# The calendar page names the file each year was loaded from: the name the administrator gave it.
FILE_NAMES = {"/admin/calendars": re.compile(r"^[\w.-]+\.(yaml|yml|csv)$")}
# A Word template's placeholders ({{ case.number }}) are what the template's author types.
PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")
# (username, ASCII word) still shown on a Chinese page; the reason each one stays.
PENDING: dict[tuple[str, str], str] = {}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*")
CJK = re.compile(r"[\u4e00-\u9fff]")

VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || !node.textContent.trim()) continue;
    if (el.closest('script,style,template,[hidden],.lang,code[data-data]')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (!el.getClientRects().length && el.tagName !== 'OPTION') continue;
    out.push(node.textContent.trim());
  }
  for (const el of document.querySelectorAll('input[placeholder],textarea[placeholder]')) {
    if (el.getClientRects().length) out.push(el.placeholder);
  }
  for (const el of document.querySelectorAll('input[type=submit],input[type=button]')) {
    if (el.getClientRects().length) out.push(el.value);
  }
  return out;
}"""


@functools.cache
def _chinese_interface_strings() -> frozenset[str]:
    """Every Chinese translation of the pages' catalogs and the glossary's Chinese names."""
    found: set[str] = set()
    for po in (ROOT / "web" / "translations").glob("*/zh/LC_MESSAGES/messages.po"):
        with po.open("rb") as f:
            for message in read_po(f):
                text = message.string if isinstance(message.string, str) else None
                if message.id and text and CJK.search(text) and "%(" not in text:
                    found.add(text.strip())
    for terms in glossary.TERMS.values():
        found.update(zh for zh, en in terms.values() if zh != en)
    return frozenset(found)


def _content(runtime) -> set[str]:
    """Chinese that is content, not interface: what the deployed BPMN diagrams name (steps,
    lanes, events, form options — the agency's own processes, drawn in Chinese), the official
    documents' titles (Chinese documents), user and unit names, the repeat check's alias table
    (words of petitions, as administrators edit them)."""
    from sqlalchemy import select

    from engine.documents import catalog
    from engine.org.models import Unit, User
    from engine.petitions.models import RepeatAlias
    found: set[str] = set()
    for bpmn in (ROOT / "bpmn").glob("*.bpmn"):
        found.update(v.strip() for v in re.findall(r'(?:name|label)="([^"]+)"', bpmn.read_text()))
    found.update(spec.title for spec in catalog.CATALOG)
    found.update(runtime.read(lambda uow: set(uow.session.scalars(select(User.display_name)))
                              | set(uow.session.scalars(select(Unit.name)))
                              | set(uow.session.scalars(select(RepeatAlias.alias)))
                              | set(uow.session.scalars(select(RepeatAlias.canonical)))))
    return found


def _walk(page, username: str) -> dict[str, list[str]]:
    """url → visible text pieces, for every page the user's navigation reaches."""
    seen: dict[str, list[str]] = {}

    def go(url: str) -> bool:
        """Be on the page (navigating only when elsewhere) and read it once; False off-site."""
        parts = urlparse(url)
        if parts.netloc not in ("", urlparse(page.url).netloc):
            return False
        path = parts.path + (("?" + parts.query) if parts.query else "")
        here = urlparse(page.url)
        if here.path + (("?" + here.query) if here.query else "") != path:
            page.goto(path)
            settle(page)
        if path not in seen:
            seen[path] = page.evaluate(VISIBLE_TEXT)
        return True

    def links(selector: str) -> list[str]:
        return page.eval_on_selector_all(selector, "els => els.map(e => e.href)")

    login(page, username)
    go(page.url)
    for nav in links(".mainnav a"):
        if not go(nav):
            continue
        for sub in links("[data-testid=admin-tabs] a"):
            go(sub)
        if "/inbox" in nav:
            go(nav)
            for tab in links("#inbox .tabs a, nav.tabs a"):
                go(tab)
                for task in links("#inbox tbody a[href*='/tasks/']")[:1]:
                    go(task)
                    for case in links("main a[href*='/cases/']")[:1]:
                        go(case)
    # The search box in the top bar: every record's number holds the year, so "2026" finds
    # everything the user may see (numbers shown as the agency writes them, not unit codes).
    if page.locator("header [data-testid=search-box]").count():
        go("/search?q=2026")
    return seen


def _codes(texts: list[str], allowed: set[str]) -> set[str]:
    def plain(text: str) -> str:
        for name in PROPER_NAMES:
            text = text.replace(name, "")
        return PLACEHOLDER.sub("", text)
    return {w for text in texts for w in WORD.findall(plain(text)) if w not in allowed}


def _identifiers(runtime) -> set[str]:
    """Usernames and unit codes (allowed on IDENTIFIER_PAGES only)."""
    from sqlalchemy import select

    from engine.org.models import Unit, User
    return runtime.read(lambda uow: set(uow.session.scalars(select(User.username)))
                        | set(uow.session.scalars(select(Unit.code))))


@pytest.mark.parametrize("username", ROLES)
def test_chinese_pages_show_no_internal_codes(live_sqlite, new_page, username):
    found: dict[str, str] = {}
    identifiers = _identifiers(live_sqlite.runtime)
    page = new_page(live_sqlite.url, lang="zh-CN")
    for url, texts in _walk(page, username).items():
        allowed = ALLOWED | (identifiers if url.startswith(IDENTIFIER_PAGES) else set()) \
            | FILE_FIELDS.get(url, set())
        for word in sorted(_codes(texts, allowed)):
            if url in FILE_NAMES and FILE_NAMES[url].match(word):
                continue
            where = next(t for t in texts if word in WORD.findall(PLACEHOLDER.sub("", t)))[:80]
            found.setdefault(word, f"{url} «{where}»")
    pending = {word for user, word in PENDING if user == username}
    new = {k: v for k, v in found.items() if k not in pending}
    assert not new, f"internal codes on Chinese pages of {username} (word → page):\n" + "\n".join(
        f"{k} → {v}" for k, v in sorted(new.items()))
    assert not pending - set(found), f"fixed, remove from PENDING: {sorted(pending - set(found))}"


@pytest.mark.parametrize("username", ROLES)
def test_english_pages_show_no_chinese_interface_strings(live_sqlite, new_page, username):
    chinese = _chinese_interface_strings() - _content(live_sqlite.runtime)
    found: dict[str, str] = {}
    page = new_page(live_sqlite.url, lang="en")
    for url, texts in _walk(page, username).items():
        for text in texts:
            if text in chinese:
                found.setdefault(text, url)
    assert not found, f"untranslated Chinese interface strings on English pages of {username}:\n" \
        + "\n".join(f"{k} → {v}" for k, v in sorted(found.items()))
