"""The rules of village meetings and of the micro-power steps, as pure functions (no database).

A meeting is quorate with at least `quorum` of its members present and passes with more than
`majority` of those present voting for (村民委员会组织法 art. 26 by default: 2/3 and 1/2).
Each step may name the steps that must be done before it (a designer's diagram that skips the
supervision committee's check is refused when it runs) and the rules its form must keep (a broken
rule is refused unless a supervisor overrode it with a reason).
"""
from __future__ import annotations
from engine import notes

from datetime import date
from fractions import Fraction

# A step before which these steps must be done (the latest supervise_check agreed).
REQUIRES: dict[str, tuple[str, ...]] = {
    # 四议两公开
    "deliberate": ("propose",), "review": ("deliberate",), "resolve": ("review",),
    "disclose_vote": ("resolve",), "implement": ("disclose_vote", "supervise_check"),
    "disclose_result": ("implement",),
    # collective asset lease
    "bidding": ("apply_lease",), "sign_contract": ("bidding", "supervise_check"),
    # small project award
    "tender": ("propose_project",), "accept_project": ("tender", "supervise_check"),
    # subsidy / 低保 recommendation, homestead application
    "publicize": ("democratic_review",), "report_township": ("publicize", "supervise_check"),
    # seal use
    "approve_seal": ("apply_seal",), "register_seal": ("approve_seal", "supervise_check"),
    # expense reimbursement
    "approve_expense": ("apply_expense",), "pay_expense": ("approve_expense", "supervise_check"),
}
# Rule codes (a broken one is refused with reason village_rule_broken and this code).
RULES = ("disclosure_too_short", "too_few_bidders", "price_over_budget", "rent_below_reserve",
         "decision_required", "four_eyes", "receipts_missing", "homestead_too_large")


def share(text: str) -> Fraction:
    numerator, denominator = text.split("/")
    return Fraction(int(numerator), int(denominator))


def quorate(*, members: int, present: int, quorum: str) -> bool:
    """At least `quorum` of the members present."""
    return members > 0 and Fraction(present) >= share(quorum) * members


def carried(*, present: int, votes_for: int, majority: str) -> bool:
    """More than `majority` of those present voted for."""
    return present > 0 and Fraction(votes_for) > share(majority) * present


def meeting_errors(*, members: int, present: int, votes_for: int, votes_against: int,
                   votes_abstain: int) -> dict[str, list[str]]:
    """Field errors of a meeting record that cannot be true (not rules: arithmetic)."""
    errors: dict[str, list[notes.Note]] = {}
    if members < 1:
        errors["members"] = [notes.note("min_members")]
    if present < 0 or present > members:
        errors["present"] = [notes.note("present_range")]
    if min(votes_for, votes_against, votes_abstain) < 0:
        errors["votes_for"] = [notes.note("not_negative")]
    elif votes_for + votes_against + votes_abstain > present:
        errors["votes_for"] = [notes.note("votes_exceed")]
    return errors


def _days(start, end) -> int | None:
    if not start or not end:
        return None
    first, last = date.fromisoformat(str(start)), date.fromisoformat(str(end))
    return (last - first).days + 1


def _num(value) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def broken(step: str, data: dict, *, settings: dict, applicant: str | None = None,
           user: str | None = None, decision_ok: bool | None = None) -> list[str]:
    """The rules the form data of `step` breaks. `settings`: the `village` section; `applicant`:
    who applied (four eyes); `decision_ok`: whether the decision number names a passed 四议两公开
    decision of the village (None: none given)."""
    found = []
    if "published_from" in data or "published_to" in data:
        days = _days(data.get("published_from"), data.get("published_to"))
        if days is None or days < int(settings["disclosure_min_days"]):
            found.append("disclosure_too_short")
    if step in ("bidding", "tender"):
        if int(_num(data.get("bidders"))) < int(settings["tender_min_bidders"]):
            found.append("too_few_bidders")
    if step == "tender" and "budget" in data and _num(data.get("price")) > _num(data["budget"]):
        found.append("price_over_budget")
    if step == "bidding" and "reserve_rent" in data and \
            _num(data.get("rent")) < _num(data["reserve_rent"]):
        found.append("rent_below_reserve")
    if step == "apply_lease" and not decision_ok:
        found.append("decision_required")
    if step == "apply_expense":
        if int(_num(data.get("receipts"))) < 1:
            found.append("receipts_missing")
        if _num(data.get("amount")) > int(settings["expense_meeting_above"]) and not decision_ok:
            found.append("decision_required")
    if step in ("approve_seal", "approve_expense") and applicant and applicant == user:
        found.append("four_eyes")
    if step == "apply_homestead" and _num(data.get("area")) > int(settings["homestead_max_area"]):
        found.append("homestead_too_large")
    return found
