"""Official documents: every shipped template generated from a demo case on both databases,
opened with python-docx and (converted in one LibreOffice run) read with pypdf; the sandbox
refuses templates that reach beyond the case record; a new template version is used."""
from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from docx import Document as WordDocument
from pypdf import PdfReader
from sqlalchemy import select

from engine.clues.models import Clue
from engine.attachments.models import Attachment
from engine.attachments import service as attachments
from engine.documents import convert
from engine.documents import service as documents
from engine.config import load_settings
from engine.documents.catalog import CATALOG, step_documents
from engine.errors import Forbidden, Invalid
from engine.org.models import User
from tests.api_client import deploy_processes
from tests.e2e.test_petitions import REAL_NAME, register

A4 = (595.3, 841.9)  # points
SAVE_TO = Path(os.environ["CLUEDESK_SAVE_DOCUMENTS"]) if os.environ.get(
    "CLUEDESK_SAVE_DOCUMENTS") else None
NO_SOFFICE = {"soffice": "/nonexistent/soffice"}


@pytest.fixture
def settings_overrides(tmp_path):
    return {"storage": {"path": str(tmp_path / "files")}, "documents": NO_SOFFICE}


@pytest.fixture
def case(api):
    deploy_processes(api)
    return register(api)


def user_id(runtime, name: str) -> int:
    return runtime.read(lambda uow: uow.session.scalar(select(User.id).where(
        User.username == name)))


def text_of(data: bytes) -> str:
    doc = WordDocument(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def stored(runtime, attachment_id: int) -> tuple[Attachment, bytes]:
    row = runtime.read(lambda uow: uow.session.get(Attachment, attachment_id))
    return row, attachments.read(runtime, row)


def test_every_template_from_a_demo_case_docx_and_pdf(runtime, case):
    clerk = user_id(runtime, "clerk")
    made = {}
    for spec in [s for s in CATALOG if s.scope == "case"]:  # supervision: its own test
        doc = documents.generate(runtime, user_id=clerk, case_id=case["case_id"], key=spec.key)
        assert doc["template_version"] == 1 and doc["revision"] == 1
        assert not doc["pdf_available"]  # LibreOffice hidden by the settings
        row, data = stored(runtime, doc["docx_attachment_id"])
        text = text_of(data)
        assert spec.title in text and doc["number"] in text, spec.key
        assert "二〇二六年" in text  # the date in Chinese characters
        assert "{{" not in text and "{%" not in text
        word = WordDocument(io.BytesIO(data)).sections[0]
        assert (round(word.page_width.mm), round(word.page_height.mm)) == (210, 297)
        assert (round(word.top_margin.mm), round(word.bottom_margin.mm),
                round(word.left_margin.mm), round(word.right_margin.mm)) == (37, 35, 28, 26)
        if spec.audience == "reporter":
            assert REAL_NAME["name"] in text and row.identifies_reporter, spec.key
        else:
            assert REAL_NAME["name"] not in text and REAL_NAME["phone"] not in text, spec.key
            assert REAL_NAME["address"] not in text and not row.identifies_reporter
        made[spec.key] = (data, text)
        if SAVE_TO:
            (SAVE_TO / f"{spec.key}.docx").write_bytes(data)
    assert "李四" in made["petition_register"][1] and "王**" in made["petition_register"][1]
    assert "东村村委会主任李四虚报低保户名单" in made["forward_letter"][1]
    assert REAL_NAME["address"] in made["acceptance_notice"][1]
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed: the PDF half needs it")
    # One LibreOffice run converts all of them (CPU is shared).
    pdfs = convert.to_pdf(load_settings({}), {k: v[0] for k, v in made.items()})
    assert set(pdfs) == set(made)
    for key, pdf in pdfs.items():
        reader = PdfReader(io.BytesIO(pdf))
        box = reader.pages[0].mediabox
        assert (round(float(box.width), 1), round(float(box.height), 1)) == A4, key
        text = "".join(p.extract_text() for p in reader.pages)
        compact = text.replace(" ", "").replace("\n", "")
        spec = next(s for s in CATALOG if s.key == key)
        assert spec.title.replace(" ", "") in compact, key
        if spec.audience == "internal":
            assert REAL_NAME["name"] not in compact
        fonts = _embedded_fonts(reader)
        assert fonts and all(embedded for embedded in fonts.values()), (key, fonts)


def _embedded_fonts(reader: PdfReader) -> dict[str, bool]:
    found = {}
    for page in reader.pages:
        for font in (page.get("/Resources", {}).get("/Font", {}) or {}).values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            found[str(font.get("/BaseFont"))] = any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return found


def test_regenerating_keeps_the_old_version_and_reveal_is_audited(runtime, case, api):
    worker = user_id(runtime, "clerk")
    first = documents.generate(runtime, user_id=worker, case_id=case["case_id"],
                               key="petition_register")
    second = documents.generate(runtime, user_id=worker, case_id=case["case_id"],
                                key="petition_register", reveal_reason="登记表需写明举报人")
    assert (first["revision"], second["revision"]) == (1, 2)
    assert first["number"] != second["number"]
    assert REAL_NAME["name"] not in text_of(stored(runtime, first["docx_attachment_id"])[1])
    row, data = stored(runtime, second["docx_attachment_id"])
    assert REAL_NAME["name"] in text_of(data) and row.identifies_reporter and second["revealed"]
    events = api.as_("chief").get(f"/cases/{case['case_id']}/history").json
    reveals = [e for e in events if e["action"] == "reporter_revealed"]
    assert reveals and reveals[-1]["detail"]["document"] == "petition_register"
    assert [e["detail"]["revision"] for e in events if e["action"] == "document_generated"] \
        == [1, 2]
    # Someone who may not reveal gets no unmasked document.
    with pytest.raises((Forbidden, Invalid)):
        documents.generate(runtime, user_id=user_id(runtime, "a-worker"),
                           case_id=case["case_id"], key="petition_register",
                           reveal_reason="想看")


def with_paragraph(text: str, key: str = "petition_register") -> bytes:
    doc = WordDocument(str(documents.SHIPPED / f"{key}.docx"))
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


INJECTIONS = [
    "{{ ''.__class__.__mro__ }}", "{{ case.__class__ }}", "{{ self.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}", "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}", "{{ lipsum.__globals__['os'] }}",
    "{{ case|attr('__class__') }}", "{{ accused|map(attribute='__class__')|list }}",
    "{{ accused|selectattr('__class__') }}", "{{ accused|sort(attribute='__class__') }}",
    "{% set x = namespace() %}", "{% set ns = cycler(1) %}{{ ns }}", "{{ range(100000) }}",
    "{{ case.items() }}", "{{ config }}", "{{ request }}", "{% include 'secrets.txt' %}",
    "{% import 'x' as y %}", "{% extends 'base' %}", "{% macro m() %}{% endmacro %}",
    "{{ case['__class__'] }}", "{{ case[name] }}", "{{ '%s'|format(case) }}",
    "{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
    "{{ case.number.upper() }}", "{{ accused|groupby('name') }}", "{{ case|tojson }}",
    "{% with a = case %}{{ a }}{% endwith %}", "{% filter upper %}x{% endfilter %}",
    "{{ accused_first.name|truncate(3, killwords=true) }}", "{{ case.number ",
    "{% for case in accused %}{{ case }}{% endfor %}", "{{ gettext('x') }}",
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_templates_that_reach_beyond_the_record_are_refused(payload):
    from engine.documents import record, sandbox
    with pytest.raises(Invalid) as refused:
        sandbox.check(with_paragraph(payload), record.sample())
    assert refused.value.reason in ("template_forbidden", "template_syntax"), payload


def test_the_record_s_own_fields_loops_and_filters_pass():
    from engine.documents import record, sandbox
    sandbox.check(with_paragraph(
        "{% for a in accused %}{{ loop.index }}. {{ a.name|default('') }}{% endfor %}"
        "{% if steps.trial_opinion %}{{ steps.trial_opinion|trim }}{% endif %}"
        "{{ accused[0].name }}{{ case.number ~ '号' }}"), record.sample())
    for spec in CATALOG:  # every shipped template passes its own check
        sandbox.check((documents.SHIPPED / f"{spec.key}.docx").read_bytes(),
                      record.sample_for(spec.scope))


def test_the_sample_record_has_every_field_of_a_real_one(runtime, case):
    from engine.documents import record, sandbox

    def build(uow):
        user = uow.session.scalar(select(User).where(User.username == "clerk"))
        return record.build(uow.session, runtime, user=user, case_id=case["case_id"],
                            reveal=False)
    assert sandbox._keys(runtime.read(build)) == sandbox._keys(record.sample())


def upload_template(api, user, key, data, comment="第二版"):
    resp = api.client.post(f"/api/v1/admin/document-templates/{key}/versions",
                           data={"file": (io.BytesIO(data), f"{key}.docx", documents.DOCX),
                                 "comment": comment},
                           content_type="multipart/form-data",
                           headers={"Authorization": f"Bearer {api.tokens[user]}"})
    return resp.status_code, resp.get_json(silent=True)


def test_a_new_template_version_is_used_by_documents_generated_afterwards(api, case, runtime):
    before = api.as_("clerk").post(f"/cases/{case['case_id']}/documents",
                                    json={"template": "forward_letter"})
    assert before.status == 202 and before.json["status"] == "done", before.json
    before = before.json["document"]
    assert before["template_version"] == 1
    status, body = upload_template(api, "a-head", "forward_letter",
                                   with_paragraph("新版：{{ case.number }}", "forward_letter"))
    assert status == 403
    status, body = upload_template(api, "admin", "forward_letter",
                                   with_paragraph("新版：{{ case.number }}", "forward_letter"))
    assert status == 201 and body["version"] == 2, body
    status, body = upload_template(api, "admin", "forward_letter",
                                   with_paragraph("{{ case.__class__ }}", "forward_letter"))
    assert status == 422 and body["error"]["fields"]["file"] == ["__class__"], body
    listed = {t["key"]: t for t in api.as_("admin").get("/admin/document-templates").json}
    assert listed["forward_letter"]["current_version"] == 2
    assert [v["version"] for v in listed["forward_letter"]["versions"]] == [1, 2]
    preview = api.client.get("/api/v1/admin/document-templates/forward_letter/preview",
                             headers={"Authorization": f"Bearer {api.tokens['admin']}"})
    assert preview.status_code == 200 and "新版：office-2026-C000001" in text_of(preview.data)
    after = api.as_("clerk").post(f"/cases/{case['case_id']}/documents",
                                   json={"template": "forward_letter"})
    assert after.status == 202 and after.json["document"]["template_version"] == 2
    assert after.json["document"]["revision"] == 2
    job = api.as_("clerk").get(f"/documents/jobs/{after.json['id']}").json
    assert job["status"] == "done" and job["progress_done"] == job["progress_total"] == 3
    assert api.as_("chief").get(f"/documents/jobs/{after.json['id']}").status == 404
    new_text = text_of(stored(runtime, after.json["document"]["docx_attachment_id"])[1])
    number = api.as_("clerk").get(f"/cases/{case['case_id']}").json["display_number"]
    assert f"新版：{number}" in new_text
    old_text = text_of(stored(runtime, before["docx_attachment_id"])[1])
    assert "新版" not in old_text  # the old document is kept as it was
    assert [d["revision"] for d in api.as_("clerk").get(
        f"/cases/{case['case_id']}/documents").json] == [1, 2]


def test_the_configured_fonts_are_named_in_the_styles():
    from engine.documents import service
    settings = load_settings({"documents": {"fonts": {"body": "仿宋_GB2312",
                                                      "title": "方正小标宋简体"}}})
    data = service.apply_fonts(settings, (documents.SHIPPED / "trial_report.docx").read_bytes())
    styles = WordDocument(io.BytesIO(data)).styles
    assert styles["Normal"].font.name == "仿宋_GB2312"
    assert styles["Title"].font.name == "方正小标宋简体"
    default = service.apply_fonts(load_settings({}), data)
    assert WordDocument(io.BytesIO(default)).styles["Normal"].font.name == "Noto Serif CJK SC"


def test_lint_checks_the_document_property_and_the_shipped_steps_name_templates(api):
    from tests.e2e.test_designer_api import process, validate
    xml = process().replace(b'<camunda:property name="deadline"',
                            b'<camunda:property name="document" value="no_such_template" />'
                            b'<camunda:property name="deadline"')
    warnings = validate(api, xml).json["warnings"]
    assert any("document template 'no_such_template' does not exist" in w["message"]
               for w in warnings), warnings
    ok = process().replace(b'<camunda:property name="deadline"',
                           b'<camunda:property name="document" value="acceptance_notice" />'
                           b'<camunda:property name="deadline"')
    assert not any("document" in w["message"] for w in validate(api, ok).json["warnings"])
    named = set()
    for path in sorted((documents.SHIPPED.parents[2] / "bpmn").glob("*.bpmn")):
        for value in re.findall(r'name="document" value="([a-z_, ]+)"', path.read_text("utf-8")):
            named |= set(step_documents(value))
    assert named == {spec.key for spec in CATALOG}  # every template is produced by some step


LATER_STEPS = ("disposition_approval", "verification_plan", "verification_report",
               "filing_approval", "investigation_report", "trial_report", "sanction_decision",
               "result_feedback", "return_visit_record", "assignment_letter")


def test_the_steps_documents_of_a_concluded_demo_case_carry_what_the_steps_recorded(
        api, runtime):
    """The demo's concluded case (engine/demo.py: registered, verified, filed, investigated,
    tried, sanctioned, concluded, fed back, visited): its steps queued their documents and its
    conclusion the freezing dossier job, which makes them first; each document carries the text
    its steps recorded, and the frozen dossier files them in procedural order."""
    from engine.cases.models import Case
    from engine.demo import _concluded
    from engine.documents.models import Document, Dossier
    from engine.jobs import service as jobs
    from engine.jobs.models import Job
    from engine.petitions.models import Petition

    deploy_processes(api)
    _concluded(runtime)
    case_id = runtime.read(lambda uow: uow.session.scalar(select(Petition.case_id).where(
        Petition.content.contains("杨志明"))))
    queued = runtime.read(lambda uow: [j for j in uow.session.scalars(select(Job))
                                       if j.params.get("case_id") == case_id])
    (freeze,) = [j for j in queued if j.kind == "dossier"]
    assert freeze.params["freeze"] and freeze.params["source"] == "conclusion"
    # The clerk's return visit concluded it; clerks do not compile dossiers, so the job runs as
    # the handling township's head.
    assert freeze.owner_id == user_id(runtime, "b-head")
    assert set(LATER_STEPS) <= {j.params["template"] for j in queued if j.kind == "document"}
    assert jobs.run_one(runtime, freeze.id, "test-worker")
    assert runtime.read(lambda uow: uow.session.get(Job, freeze.id).status) == "done"
    rows = runtime.read(lambda uow: list(uow.session.scalars(select(Document).where(
        Document.case_id == case_id).order_by(Document.generated_at, Document.id))))
    text = {d.template_key: text_of(stored(runtime, d.docx_attachment_id)[1]) for d in rows}
    assert set(LATER_STEPS) <= set(text)
    lines = {key: value.splitlines() for key, value in text.items()}

    def row(key: str, label: str) -> str:  # the value beside a label in a form's table
        return lines[key][lines[key].index(label) + 1]
    assert row("disposition_approval", "拟处置方式") == "初步核实"
    assert row("disposition_approval", "处置理由") == "反映问题具体，可查性强"
    # Who proposed it, by name (the proposer's display name, not the login name); numbers as
    # people read them.
    proposer = runtime.read(lambda uow: uow.session.scalar(
        select(User.display_name).join(Clue, Clue.proposed_by_id == User.id).where(
            Clue.case_id == case_id)))
    assert proposer and row("disposition_approval", "承办人") == proposer
    assert row("disposition_approval", "线索编号").endswith("号")
    assert "三、核实方法：调取低保审批材料，走访低保户，与杨志明谈话。" in lines["verification_plan"]
    assert "二、核实情况：初核认定：虚报低保户3户属实" in lines["verification_report"]
    assert "三、初核结论：反映属实。" in lines["verification_report"]
    assert "四、处置建议：立案审查调查。" in lines["verification_report"]
    assert row("filing_approval", "立案依据") == "初核属实，需追究纪律责任"
    assert row("filing_approval", "初核结论") == "反映属实"
    case_number = runtime.read(lambda uow: uow.session.get(Case, case_id).display_number)
    assert row("filing_approval", "案件编号") == case_number
    assert "查明杨志明虚报低保户3户，套取资金2.4万元" in lines["investigation_report"]
    assert "经批准，本机关于二〇二六年" in text["investigation_report"]  # the filing date
    assert "一、审理意见：事实清楚，证据确凿" in lines["trial_report"]
    assert "二、处理建议：警告。" in lines["trial_report"]
    assert f"案件编号：{case_number}" in text["trial_report"]
    assert "依据有关规定，经集体研究，决定给予杨志明警告处分。" in lines["sanction_decision"]
    assert "受处分人数：1人。" in lines["sanction_decision"]
    assert "处理结果：给予警告处分。" in lines["result_feedback"]
    assert "杨春花：" in lines["result_feedback"]  # addressed to the reporter
    assert row("return_visit_record", "回访方式") == "电话"  # the form's choice, in words
    assert row("return_visit_record", "满意程度") == "满意"
    assert row("return_visit_record", "回访对象") == "杨**"  # internal: masked
    # The 交办函 goes from the registering unit, numbered by it, to the handling township.
    assert [x for x in lines["assignment_letter"] if x][:4] == ["信访室", "信访室〔2026〕1号", "交办函",
                                                               "乙镇纪委："]
    for key in LATER_STEPS:
        if key not in ("result_feedback", "assignment_letter"):
            assert lines[key][0] == "乙镇纪委" and "杨春花" not in text[key], key
    # The frozen dossier files them in the order the steps made them, the timeline last.
    (dossier,) = runtime.read(lambda uow: list(uow.session.scalars(select(Dossier).where(
        Dossier.case_id == case_id))))
    assert dossier.status == "frozen"
    titles = [e["title"].split("（涉及举报人")[0] for e in dossier.contents]
    assert titles == ["信访举报登记表", "交办函", "受理告知书", "问题线索处置审批表", "初步核实方案",
                      "初步核实情况报告", "立案审批表", "审查调查报告", "审理报告", "处分决定（摘要）",
                      "处理结果反馈告知书", "回访记录", "办理过程记录"]
