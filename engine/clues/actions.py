"""Domain actions of the clue processes (named by their tasks' `action` property): disposition
(`clue.*`), talk or letter inquiry (`inquiry.*`), preliminary verification (`verification.*`) and
the filed case (`case_filing.*`). Each returns the values its process's gateways route on."""
from __future__ import annotations

from engine.clues import service
from engine.processes.actions import ActionContext, action


def _clue(ctx: ActionContext):
    return service.of_process(ctx.session, process_data=ctx.process_data)


def _optional_clue(ctx: ActionContext):
    clue_id = ctx.process_data.get("clue_id")
    return service.get(ctx.session, clue_id) if isinstance(clue_id, int) else None


# -- disposition (线索处置)


@action("clue.propose", preview=lambda runtime, data, process_data: {
    "disposition": data.get("disposition")})
def propose(ctx: ActionContext) -> dict:
    """The caseworker proposes a disposition with reasons."""
    clue = service.propose(ctx.session, ctx.runtime, clue=_clue(ctx), user=ctx.user,
                           disposition=ctx.data.get("disposition"),
                           reason=ctx.data.get("disposition_reason"))
    return {"disposition": clue.disposition}


@action("clue.approve", preview=lambda runtime, data, process_data: {
    "disposition_approved": bool(data.get("approved")),
    "disposition": process_data.get("disposition"),
    "shelved_review_period": service.shelved_review_period(runtime)})
def approve(ctx: ActionContext) -> dict:
    """The supervisor approves the disposition or sends it back."""
    approved = bool(ctx.data.get("approved"))
    clue = service.decide_disposition(ctx.session, ctx.runtime, clue=_clue(ctx), user=ctx.user,
                                      approved=approved, comment=ctx.data.get("comment") or "",
                                      case=ctx.case, instance_id=ctx.instance.id)
    return {"disposition_approved": approved, "disposition": clue.disposition,
            "shelved_review_period": service.shelved_review_period(ctx.runtime)}


@action("clue.review_shelved")
def review_shelved(ctx: ActionContext) -> dict:
    """A shelved clue is reviewed and goes back to be disposed of."""
    service.review_shelved(ctx.session, ctx.runtime, clue=_clue(ctx), user=ctx.user,
                           new_information=bool(ctx.data.get("new_information")),
                           note=ctx.data.get("review_note"))
    return {}


# -- talk or letter inquiry (谈话函询)


@action("inquiry.plan", preview=lambda runtime, data, process_data: {
    "inquiry_method": data.get("inquiry_method")})
def plan_inquiry(ctx: ActionContext) -> dict:
    """Talk or letter."""
    method = ctx.data.get("inquiry_method")
    service.plan_inquiry(ctx.session, ctx.runtime, clue=_clue(ctx), user=ctx.user, method=method,
                         questions=ctx.data.get("inquiry_questions"))
    return {"inquiry_method": method}


@action("inquiry.talk")
def talk(ctx: ActionContext) -> dict:
    """The talk was held."""
    service.talk_held(ctx.session, ctx.runtime, clue=_clue(ctx), user=ctx.user,
                      talked_on=ctx.data.get("talked_on"), record=ctx.data.get("talk_record"))
    return {}


@action("inquiry.send_letter")
def send_letter(ctx: ActionContext) -> dict:
    """The inquiry letter was sent."""
    service.letter_sent(ctx.session, ctx.runtime, clue=_clue(ctx), user=ctx.user,
                        letter_number=ctx.data.get("letter_number"),
                        sent_on=ctx.data.get("sent_on"))
    return {}


@action("inquiry.register_reply", preview=lambda runtime, data, process_data: {
    "reply_via": "registered"})
def register_reply(ctx: ActionContext) -> dict:
    """The caseworker registers the written reply."""
    service.reply_registered(ctx.session, ctx.runtime, clue=_clue(ctx), user=ctx.user,
                             summary=ctx.data.get("reply_summary"),
                             countersigned=bool(ctx.data.get("countersigned")),
                             replied_on=ctx.data.get("replied_on"))
    return {"reply_via": "registered"}


@action("inquiry.assess", preview=lambda runtime, data, process_data: {
    "inquiry_outcome": data.get("outcome")})
def assess(ctx: ActionContext) -> dict:
    """The situation report: close, or escalate to verification."""
    clue = _clue(ctx)
    if ctx.process_data.get("inquiry_method") == "letter":
        service.reply_by_message(ctx.session, ctx.runtime, clue=clue, instance_id=ctx.instance.id)
    outcome = ctx.data.get("outcome")
    service.assess_inquiry(ctx.session, ctx.runtime, clue=clue, user=ctx.user, outcome=outcome,
                           report=ctx.data.get("inquiry_report"))
    return {"inquiry_outcome": outcome}


@action("inquiry.approve_report", preview=lambda runtime, data, process_data: {
    "report_approved": bool(data.get("approved"))})
def approve_report(ctx: ActionContext) -> dict:
    """The supervisor approves the report or sends it back."""
    approved = bool(ctx.data.get("approved"))
    service.decide_inquiry(ctx.session, ctx.runtime, clue=_clue(ctx), user=ctx.user,
                           approved=approved, comment=ctx.data.get("comment") or "",
                           outcome=ctx.process_data.get("inquiry_outcome") or "close",
                           report=ctx.process_data.get("inquiry_report") or "")
    return {"report_approved": approved}


# -- preliminary verification (初步核实)


@action("verification.plan", preview=lambda runtime, data, process_data: {
    "key_verification": bool(data.get("key_verification")),
    "members": list(service.KEY_REVIEW_MEMBERS)})
def plan_verification(ctx: ActionContext) -> dict:
    """The verification plan; key verifications get their joint review's data ready."""
    clue = _clue(ctx)
    key = bool(ctx.data.get("key_verification"))
    service.plan_verification(ctx.session, ctx.runtime, clue=clue, user=ctx.user,
                              plan=ctx.data.get("verification_plan"), key=key,
                              team=ctx.data.get("verification_team") or "")
    return {"key_verification": key,
            "review_subject": f"重点初核件 {clue.number} {clue.accused_name}".strip(),
            "members": list(service.KEY_REVIEW_MEMBERS),
            "chair_unit": service.chair_unit(ctx.session, clue=clue)}


@action("verification.approve_plan", preview=lambda runtime, data, process_data: {
    "plan_approved": bool(data.get("approved"))})
def approve_plan(ctx: ActionContext) -> dict:
    """The supervisor approves the plan or sends it back."""
    approved = bool(ctx.data.get("approved"))
    service.decide_plan(ctx.session, ctx.runtime, clue=_clue(ctx), user=ctx.user,
                        approved=approved, comment=ctx.data.get("comment") or "")
    return {"plan_approved": approved}


@action("verification.report", preview=lambda runtime, data, process_data: {
    "finding": data.get("finding")})
def report(ctx: ActionContext) -> dict:
    """Evidence gathered; the report and its finding."""
    finding = ctx.data.get("finding")
    evidence = {k: ctx.data.get(k) for k in ("talks", "documents", "site_visits")}
    service.report_verification(ctx.session, ctx.runtime, clue=_clue(ctx), user=ctx.user,
                                finding=finding, report=ctx.data.get("verification_report"),
                                evidence=evidence)
    return {"finding": finding}


@action("verification.decide", preview=lambda runtime, data, process_data: {
    "verification_decision": data.get("decision")})
def decide(ctx: ActionContext) -> dict:
    """File, close, remind/criticise or clarify."""
    clue = _clue(ctx)
    decision = ctx.data.get("decision")
    review = ctx.process_data.get("review_decision") if clue.key_verification else None
    service.decide_verification(ctx.session, ctx.runtime, clue=clue, user=ctx.user,
                                decision=decision, reason=ctx.data.get("decision_reason"),
                                review_decision=review)
    return {"verification_decision": decision, "cadre_name": clue.accused_name,
            "clue_id": clue.id}


@action("verification.remind")
def remind(ctx: ActionContext) -> dict:
    """The reminder talk or criticism; the clue is closed."""
    service.reminded(ctx.session, ctx.runtime, clue=_clue(ctx), user=ctx.user,
                     method=ctx.data.get("remind_method"), record=ctx.data.get("remind_record"))
    return {}


# -- the filed case (立案 → 审查调查 → 审理 → 处分 → 结案)


@action("case_filing.request")
def request_filing(ctx: ActionContext) -> dict:
    """Ask for the case to be filed."""
    service.request_filing(ctx.session, ctx.runtime, case=ctx.case, user=ctx.user,
                           reason=ctx.data.get("filing_reason"))
    return {}


@action("case_filing.approve", preview=lambda runtime, data, process_data: {
    "filing_approved": bool(data.get("approved"))})
def approve_filing(ctx: ActionContext) -> dict:
    """File the case, or send the request back."""
    approved = bool(ctx.data.get("approved"))
    service.decide_filing(ctx.session, ctx.runtime, case=ctx.case, clue=_optional_clue(ctx),
                          user=ctx.user, approved=approved, comment=ctx.data.get("comment") or "")
    return {"filing_approved": approved}


@action("case_filing.investigate")
def investigate(ctx: ActionContext) -> dict:
    """The investigation report goes to trial."""
    service.investigated(ctx.session, ctx.runtime, case=ctx.case, user=ctx.user,
                         report=ctx.data.get("investigation_report"),
                         measures=ctx.data.get("measures") or "")
    return {}


@action("case_filing.trial")
def trial(ctx: ActionContext) -> dict:
    """The trial office's report."""
    service.tried(ctx.session, ctx.runtime, case=ctx.case, user=ctx.user,
                  opinion=ctx.data.get("trial_opinion"),
                  proposed_sanction=ctx.data.get("proposed_sanction"))
    return {}


@action("case_filing.decide")
def decide_sanction(ctx: ActionContext) -> dict:
    """The sanction and the number of people disciplined."""
    case = service.decide_sanction(ctx.session, ctx.runtime, case=ctx.case, user=ctx.user,
                                   sanction=ctx.data.get("sanction"),
                                   people=ctx.data.get("people_disciplined"),
                                   note=ctx.data.get("decision_note") or "")
    return {"sanction": case.sanction, "people_disciplined": case.people_disciplined}


@action("case_filing.announce")
def announce(ctx: ActionContext) -> dict:
    """The decision was announced."""
    service.announced(ctx.session, ctx.runtime, case=ctx.case, user=ctx.user,
                      announced_on=ctx.data.get("announced_on"),
                      note=ctx.data.get("announcement_note") or "")
    return {}


@action("case_filing.conclude")
def conclude(ctx: ActionContext) -> dict:
    """结案."""
    service.conclude(ctx.session, ctx.runtime, case=ctx.case, clue=_optional_clue(ctx),
                     user=ctx.user, note=ctx.data.get("closing_note"))
    return {}
