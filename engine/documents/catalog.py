"""The shipped official documents (文书): key, title, who it is for, and its body.

`audience` decides what of the reporter a document may hold: `reporter` documents are addressed
to the reporter (受理告知书, 结果反馈) and carry the real identity (stored as attachments that
identify the reporter: opening one needs the reveal permission and a reason); `internal`
documents mask the reporter as the pages do, unless generated after an audited reveal.

The bodies are docxtpl/Jinja text over the case record (`engine.documents.record`); the build
script (`python -m engine.documents.build_templates`) lays them out after GB/T 9704.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

ACCUSED = "{{ accused_names }}"
_SEPARATORS = re.compile(r"[\s,，、;；]+")
JOB_KIND = "document"  # the background job that generates one (engine/documents/jobs.py)
DOSSIER_JOB_KIND = "dossier"  # the background job that compiles (and freezes) a case's dossier
DOSSIER_WRITERS = frozenset({"caseworker", "supervisor"})  # who compiles a dossier


@dataclass(frozen=True)
class Spec:
    key: str
    title: str
    audience: str  # "reporter" | "internal"
    addressee: str = ""
    body: tuple[str, ...] = ()
    table: tuple[tuple[str, str], ...] = ()  # approval forms (呈批表): label -> value rows
    approval: bool = False
    extra: dict = field(default_factory=dict)
    # What it is filled from: "case" (the case record), "inspection" or "finding" (the
    # supervision record of an inspection, or of one finding with its inspection:
    # engine/documents/supervision.py).
    scope: str = "case"
    # Who issues it (the head, the signature and the 发文字号): the unit handling the case, or,
    # for a 交办函, the unit that registered the matter and assigns it down ("registering").
    issuer: str = "handling"

    @property
    def sender(self) -> str:
        return "{{ case.registered_unit }}" if self.issuer == "registering" else "{{ agency.name }}"


def step_documents(value: str | None) -> list[str]:
    """The templates a step's `document` property names: one key, or several separated by
    commas (分类研判 makes the register and the 交办函), in order."""
    return [key for key in _SEPARATORS.split(value or "") if key]


CATALOG: tuple[Spec, ...] = (
    Spec("petition_register", "信访举报登记表", "internal", table=(
        ("信访件编号", "{{ petition.number }}"), ("收件日期", "{{ petition.received_date }}"),
        ("来源渠道", "{{ petition.channel_name }}"),
        ("举报人", "{{ reporter.display }}"), ("联系电话", "{{ reporter.phone }}"),
        ("被反映人", "{{ accused_lines }}"), ("所在乡镇、村", "{{ petition.township_name }}{{ petition.village }}"),
        ("问题类别", "{{ petition.category_name }}"), ("反映的主要问题", "{{ petition.content }}"),
        ("登记单位", "{{ case.registered_unit }}"))),
    Spec("acceptance_notice", "受理告知书", "reporter", addressee="{{ reporter.name }}：", body=(
        "您于{{ petition.received_date }}通过{{ petition.channel_name }}反映{{ accused_names }}"
        "有关问题的信访举报（编号：{{ petition.number }}）已收悉。",
        "根据《纪检监察机关处理检举控告工作规则》，经审查，你反映的问题属于本机关受理范围，"
        "现予受理。我们将依规依纪依法办理，并在办结后将处理结果告知您。",
        "请您继续支持纪检监察工作，如实反映问题，对所反映问题的真实性负责。",
        "送达地址：{{ reporter.address }}")),
    Spec("forward_letter", "转办函", "internal", addressee="{{ petition.forwarded_to }}：", body=(
        "现将{{ petition.received_date }}收到的反映{{ accused_names }}有关问题的信访件"
        "（编号：{{ petition.number }}）转去，请按照有关规定依规依纪依法处理。",
        "反映的主要问题：{{ petition.content }}",
        "办理过程中请注意保护举报人合法权益，严禁泄露举报人信息。")),
    Spec("assignment_letter", "交办函", "internal", addressee="{{ case.handling_unit }}：",
         issuer="registering", body=(
             "现将{{ petition.received_date }}收到的反映{{ accused_names }}有关问题的信访件"
             "（编号：{{ petition.number }}，问题类别：{{ petition.category_name }}）交由你单位办理。",
             "反映的主要问题：{{ petition.content }}",
             "请按照初信初访首办责任制要求，依规依纪依法认真办理，"
             "办理过程中严格保护举报人合法权益，严禁泄露举报人信息。",
             "请于规定期限内将办理结果书面报送{{ case.registered_unit }}。"
             "逾期未办结的，应当说明情况。")),
    Spec("disposition_approval", "问题线索处置审批表", "internal", approval=True, table=(
        ("线索编号", "{{ clue.number }}"), ("线索来源", "{{ petition.number }}"),
        ("被反映人", "{{ accused_lines }}"), ("主要问题", "{{ clue.summary }}"),
        ("拟处置方式", "{{ clue.disposition_name }}"), ("处置理由", "{{ clue.disposition_reason }}"),
        ("承办人", "{{ clue.proposed_by }}"),
        ("承办部门意见", ""), ("分管领导意见", ""), ("主要领导意见", ""))),
    Spec("inquiry_notice", "谈话函询通知书", "internal", addressee="{{ accused_first.name }}同志：",
         body=(
             "根据有关规定，现就反映你{{ clue.summary }}的问题，请你在收到本通知书之日起"
             "十五个工作日内作出书面说明，并由所在党组织主要负责人签署意见后报送本机关。",
             "你应当对组织忠诚老实，如实说明情况，不得隐瞒、歪曲事实，不得串供或者伪造、"
             "隐匿、毁灭证据。")),
    Spec("inquiry_reply_record", "函询回复情况记录", "internal", table=(
        ("线索编号", "{{ clue.number }}"), ("被函询人", "{{ accused_lines }}"),
        ("函询事项", "{{ clue.summary }}"), ("回复情况", "{{ steps.reply_summary }}"),
        ("登记人", "{{ generated_by }}"), ("登记日期", "{{ date_cn }}"))),
    Spec("verification_plan", "初步核实方案", "internal", body=(
        "一、核实对象：{{ accused_lines }}。",
        "二、核实事项：{{ clue.summary }}（线索编号：{{ clue.number }}）。",
        "三、核实方法：{{ steps.verification_plan | default('调取有关书证、物证，找相关人员谈话了解情况，"
        "必要时进行现场查看', true) }}。",
        "四、核实步骤及时限：自批准之日起开展初步核实，按规定时限形成初核情况报告。",
        "五、工作要求：严守工作纪律和保密纪律，严格执行回避制度。")),
    Spec("verification_report", "初步核实情况报告", "internal", body=(
        "根据批准的初步核实方案，对反映{{ accused_names }}的问题（线索编号：{{ clue.number }}）"
        "进行了初步核实。现将有关情况报告如下：",
        "一、反映的主要问题：{{ clue.summary }}",
        "二、核实情况：{{ steps.verification_report }}",
        "三、初核结论：{{ clue.finding_name }}。",
        "四、处置建议：{{ clue.decision_name }}。")),
    Spec("filing_approval", "立案审批表", "internal", approval=True, table=(
        ("案件编号", "{{ case.number }}"), ("被调查人", "{{ accused_lines }}"),
        ("问题线索", "{{ clue.number }}"), ("初核结论", "{{ clue.finding_name }}"),
        ("立案依据", "{{ steps.filing_reason }}"),
        ("承办部门意见", ""), ("分管领导意见", ""), ("主要领导意见", ""))),
    Spec("investigation_report", "审查调查报告", "internal", body=(
        "经批准，本机关于{{ case.filed_date }}对{{ accused_names }}涉嫌违纪问题立案审查调查。"
        "现已查明：",
        "{{ steps.investigation_report }}",
        "以上事实，有相关书证、证人证言及本人陈述等证据证实。",
        "建议移送案件审理室审理。")),
    Spec("trial_report", "审理报告", "internal", body=(
        "审查调查部门移送的{{ accused_names }}涉嫌违纪一案（案件编号：{{ case.number }}），"
        "经审理，现将审理情况报告如下：",
        "一、审理意见：{{ steps.trial_opinion }}",
        "二、处理建议：{{ case.sanction_name }}。")),
    Spec("sanction_decision", "处分决定（摘要）", "internal", body=(
        "{{ accused_lines }}",
        "经查，{{ accused_names }}存在违反纪律的问题。",
        "依据有关规定，经集体研究，决定给予{{ accused_names }}{{ case.sanction_name }}处分。",
        "受处分人数：{{ case.people_disciplined }}人。",
        "如不服本决定，可在收到本决定之日起一个月内向作出决定的机关提出申诉。")),
    Spec("clarification_letter", "澄清正名情况说明", "internal", body=(
        "经核查，反映{{ accused_names }}的问题（线索编号：{{ clue.number }}）查无实据，"
        "相关反映失实。",
        "为保护干部干事创业积极性，经研究，决定为{{ accused_names }}予以澄清正名。",
        "澄清方式：{{ steps.clarification_plan }}。")),
    Spec("false_accusation_referral", "诬告陷害问题移送函", "internal",
         addressee="{{ steps.referred_to | default('有关机关', true) }}：", body=(
             "本机关在办理反映{{ accused_names }}问题的过程中（案件编号：{{ case.number }}），"
             "发现有关人员涉嫌故意捏造事实诬告陷害他人，经批准认定为诬告陷害。",
             "现将有关问题线索移送你单位，请依规依纪依法查处，并将处理结果反馈本机关。")),
    Spec("result_feedback", "处理结果反馈告知书", "reporter", addressee="{{ reporter.name }}：",
         body=(
             "您于{{ petition.received_date }}反映{{ accused_names }}的有关问题"
             "（编号：{{ petition.number }}），本机关已依规依纪依法办理完毕。",
             "处理结果：{{ case.result_text }}。",
             "如对处理结果有异议，可在收到本告知书之日起向本机关或上一级纪检监察机关提出。")),
    Spec("return_visit_record", "回访记录", "internal", table=(
        ("信访件编号", "{{ petition.number }}"), ("回访对象", "{{ reporter.display }}"),
        ("被反映人", "{{ accused_lines }}"), ("回访方式", "{{ steps.feedback_method }}"),
        ("满意程度", "{{ steps.satisfaction_name }}"),
        ("回访人", "{{ generated_by }}"), ("回访日期", "{{ date_cn }}"))),
)

# Daily supervision (issue 25): the inspection notice (检查通知书) to the inspected units, the
# rectification notice (整改通知书) to each problem unit once the inspection is approved, and the
# rectification report (整改情况报告) when the inspecting unit verifies and closes (销号) a finding.
SUPERVISION: tuple[Spec, ...] = (
    Spec("inspection_notice", "检查通知书", "internal", scope="inspection",
         addressee="{{ inspection.target_names }}：", body=(
             "根据工作安排，{{ agency.name }}决定于{{ inspection.planned_date }}对你单位开展"
             "{{ inspection.kind_name }}（检查编号：{{ inspection.number }}）。",
             "检查内容：{{ inspection.content }}",
             "检查人员：{{ inspection.inspector_names }}。",
             "请你单位如实提供有关资料，积极配合检查工作。检查人员与被检查单位有利害关系的，"
             "应当回避。")),
    Spec("rectification_notice", "整改通知书", "internal", scope="finding",
         addressee="{{ finding.unit_name }}：", body=(
             "{{ agency.name }}于{{ inspection.carried_out_date }}对你单位开展{{ inspection.kind_name }}"
             "（检查编号：{{ inspection.number }}），发现以下问题（问题编号：{{ finding.number }}）：",
             "{{ finding.description }}",
             "有关依据：{{ finding.evidence }}",
             "整改建议：{{ finding.suggestion }}",
             "请你单位落实整改主体责任，整改责任人{{ finding.responsible_person }}，"
             "于{{ finding.due_date }}前（{{ finding.time_limit_days }}日内）完成整改，"
             "并将整改情况书面报告{{ agency.name }}。{{ finding.supervision_line }}",
             "逾期未整改或整改不到位的，将依规依纪严肃追究责任。")),
    Spec("rectification_report", "整改情况报告", "internal", scope="finding", body=(
         "{{ agency.name }}：",
         "{{ inspection.kind_name }}（检查编号：{{ inspection.number }}）发现{{ finding.unit_name }}"
         "存在的问题（问题编号：{{ finding.number }}）：{{ finding.description }}",
         "一、整改措施：{{ finding.measures }}",
         "二、完成情况：{{ finding.progress }}",
         "三、验收意见：{{ finding.verification }}（{{ finding.status_name }}）。",
         "整改责任人：{{ finding.responsible_person }}。")),
)
CATALOG = CATALOG + SUPERVISION
BY_KEY = {spec.key: spec for spec in CATALOG}
