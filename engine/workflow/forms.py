"""Task forms: `camunda:formData` as JSON Schema, and validation of completion data against it."""
from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree

from .parser import BPMN_NS, camunda_extensions, parse_xml

_TYPES = {
    "string": {"type": "string"},
    "long": {"type": "integer"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "double": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}


def form_schema(fields: list[dict]) -> dict | None:
    """Build a JSON Schema from parsed form fields; a dotted id is a nested path."""
    if not fields:
        return None
    root: dict[str, Any] = {"type": "object", "properties": {}, "required": [],
                            "additionalProperties": False}
    for field in fields:
        parts = field["id"].split(".")
        node = root
        for part in parts[:-1]:
            child = node["properties"].setdefault(part, {"type": "object", "properties": {},
                                                         "required": [],
                                                         "additionalProperties": False})
            node = child
        prop: dict[str, Any] = dict(_TYPES.get(field.get("type") or "string", {}))
        if field.get("type") == "enum":
            prop = {"enum": [v["id"] for v in field.get("values", [])]}
            prop["x-labels"] = {v["id"]: v.get("name") or v["id"] for v in field.get("values", [])}
        if field.get("label"):
            prop["title"] = field["label"]
        if field.get("default") is not None:
            prop["default"] = field["default"]
        constraints = field.get("constraints", {})
        if "minlength" in constraints:
            prop["minLength"] = int(constraints["minlength"])
        if "maxlength" in constraints:
            prop["maxLength"] = int(constraints["maxlength"])
        if "min" in constraints:
            prop["minimum"] = float(constraints["min"])
        if "max" in constraints:
            prop["maximum"] = float(constraints["max"])
        if "readonly" in constraints:
            prop["readOnly"] = True
        node["properties"][parts[-1]] = prop
        if "required" in constraints and parts[-1] not in node["required"]:
            node["required"].append(parts[-1])
    _drop_empty_required(root)
    return root


def _drop_empty_required(node: dict) -> None:
    if not node.get("required"):
        node.pop("required", None)
    for child in node.get("properties", {}).values():
        if child.get("type") == "object":
            _drop_empty_required(child)


def validate(schema: dict | None, data: Any) -> dict[str, list[str]]:
    """Return field errors keyed by dotted path (empty when valid)."""
    if not isinstance(data, dict):
        return {"_schema": ["must be a JSON object"]}
    if schema is None:
        return {}
    errors: dict[str, list[str]] = {}
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    for error in validator.iter_errors(data):
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            key = f"{path}.{missing}" if path else missing
            errors.setdefault(key, []).append("required")
        elif error.validator == "additionalProperties":
            allowed = set(error.schema.get("properties", {}))
            for extra in sorted(set(error.instance) - allowed):
                key = f"{path}.{extra}" if path else extra
                errors.setdefault(key, []).append("unknown field")
        else:
            errors.setdefault(path or "_schema", []).append(error.message)
    return errors


def schema_of_form_data(data: bytes) -> dict | None:
    """The JSON Schema of one `camunda:formData` element (XML), read as the parser reads a
    deployed task's: the designer previews the form being built with it."""
    if not data.strip():
        return None
    task = etree.Element(f"{{{BPMN_NS}}}userTask")
    etree.SubElement(task, f"{{{BPMN_NS}}}extensionElements").append(parse_xml(data, "form.xml"))
    return form_schema(camunda_extensions(task).get("formData") or [])
