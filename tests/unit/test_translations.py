"""Every user-visible string of the pages has a Chinese and an English translation."""
from babel.messages.pofile import read_po

from web import i18n


def test_every_page_string_is_translated_into_chinese_and_english():
    strings = i18n.source_strings()
    assert len(strings) > 30  # extraction found the templates and page modules
    gaps = i18n.missing()
    assert gaps == {lang: [] for lang in i18n.LANGUAGES}, (
        "untranslated strings (python -m web.i18n update AREA, then write the Chinese):\n"
        + "\n".join(f"{lang}: {item}" for lang, items in gaps.items() for item in items))


def test_the_check_sees_a_new_untranslated_string(tmp_path, monkeypatch):
    template = i18n.ROOT / "templates" / "ui" / "_probe_untranslated.html"
    template.write_text('{{ _("A sentence nobody translated") }}', encoding="utf-8")
    try:
        gaps = i18n.missing()
    finally:
        template.unlink()
    assert any("A sentence nobody translated" in item for item in gaps["zh"])
    assert any("A sentence nobody translated" in item for item in gaps["en"])


def test_every_bpmn_problem_reason_is_translated():
    """Designer problems are shown from their reason's msgid (engine/workflow/problems.py)."""
    from engine.workflow.problems import REASONS
    for lang in i18n.LANGUAGES:
        done = i18n.translated(lang)
        assert [r for r, msgid in REASONS.items() if msgid not in done] == [], lang


def test_a_string_in_several_areas_is_translated_the_same_everywhere():
    """The areas' catalogs are merged into one: a msgid translated two ways shows one of them on
    every page, whichever loads last (say 整改时限 for every "Time limit")."""
    for lang in i18n.LANGUAGES:
        seen: dict[str, dict[str, str]] = {}
        for po in i18n.catalogs():
            if po.parts[-3] != lang:
                continue
            with po.open("rb") as f:
                for message in read_po(f):
                    if message.id and isinstance(message.id, str) and message.string:
                        seen.setdefault(message.id, {})[message.string] = po.parts[-4]
        assert {k: v for k, v in seen.items() if len(v) > 1} == {}, lang
