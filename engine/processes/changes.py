"""What changed from one version of a process to another, attribute by attribute.

A pure function over the two files' sources, read through the engine's parser
(`engine.workflow.diagram.facts`): elements added and removed (with their names), and for each
element in both the facts that differ, each with its old and its new value. The designer's
versions view puts them in words; the API returns them as they are."""
from __future__ import annotations

from engine.workflow import diagram

# The order a reader expects: what the element is called and where it is, then what it does.
_FIRST = ("kind", "name", "lane", "condition", "default", "connects", "documentation")


def _ordered(keys: set[str]) -> list[str]:
    return [k for k in _FIRST if k in keys] + sorted(keys - set(_FIRST))


def compare(old_xml: bytes, new_xml: bytes) -> dict:
    """{"added", "removed", "changed"}: each element as {"element_id", "kind", "name"}, a
    changed one with `changes`, a list of {"field", "old", "new"} (None: not set). A change the
    facts do not name (an attribute of another vendor, say) is one change of field `other`."""
    old, new = diagram.facts(old_xml, "old.bpmn"), diagram.facts(new_xml, "new.bpmn")
    signatures = {e["element_id"] for e in diagram.diff(old_xml, new_xml)["changed"]}

    def element(element_id: str, facts: dict) -> dict:
        return {"element_id": element_id, "kind": facts["kind"], "name": facts.get("name")}

    changed = []
    for element_id, after in new.items():
        before = old.get(element_id)
        if before is None:
            continue
        changes = [{"field": field, "old": before.get(field), "new": after.get(field)}
                   for field in _ordered(set(before) | set(after))
                   if before.get(field) != after.get(field)]
        if not changes and element_id in signatures:
            changes = [{"field": "other", "old": None, "new": None}]
        if changes:
            changed.append({**element(element_id, after), "changes": changes})
    return {"added": [element(i, f) for i, f in new.items() if i not in old],
            "removed": [element(i, f) for i, f in old.items() if i not in new],
            "changed": changed}
