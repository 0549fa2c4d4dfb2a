"""Task forms: `camunda:formData` as JSON Schema, and validation of completion data against it.

The stored format (API.md "Forms"): `camunda:formField` with `id`, `label`, `type`,
`defaultValue`; `camunda:value` choices; `camunda:validation/camunda:constraint` (`name`,
`config`); `camunda:properties/camunda:property` (`id`, `value`) for `help` and `show_when`.
The domain types (`unit`, `person`, `file`) are checked against the database by the engine's
domain layer (`engine/processes/form_values.py`); here only their JSON shape.
"""
from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree

from engine import notes

from .parser import BPMN_NS, camunda_extensions, parse_xml

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_TYPES = {
    "string": {"type": "string"},
    "textarea": {"type": "string", "x-type": "textarea"},
    "long": {"type": "integer"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "double": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "enum": {},
    "multi_enum": {},
    "unit": {"type": "string", "x-type": "unit"},
    "person": {"type": "string", "x-type": "person"},
    "file": {"type": "integer", "x-type": "file"},
}
TYPES = tuple(_TYPES)
DOMAIN_TYPES = ("unit", "person", "file")
CONSTRAINTS = ("required", "minlength", "maxlength", "min", "max", "readonly", "pattern")
_SHOW_WHEN = re.compile(r"^\s*(?P<field>[^=\s]+)\s*=(?P<values>.*)$")


def read_fields(ext) -> list[dict]:
    """The form fields of an `extensionElements` node, in order."""
    fields = []
    for field in ext.iter(f"{{{CAMUNDA_NS}}}formField"):
        constraints = {c.get("name"): c.get("config")
                       for c in field.iter(f"{{{CAMUNDA_NS}}}constraint")}
        values = [{"id": v.get("id"), "name": v.get("name")}
                  for v in field.iter(f"{{{CAMUNDA_NS}}}value")]
        properties = {p.get("id") or p.get("name"): p.get("value") or ""
                      for p in field.iter(f"{{{CAMUNDA_NS}}}property")}
        fields.append({"id": field.get("id"), "label": field.get("label"),
                       "type": field.get("type"), "default": field.get("defaultValue"),
                       "constraints": constraints, "values": values,
                       "properties": properties, "line": field.sourceline})
    return fields


def show_when(text: str | None) -> dict | None:
    """`other_field=v1|v2` as {"field": "other_field", "values": ["v1", "v2"]}; None if malformed."""
    found = _SHOW_WHEN.match(text or "")
    if not found:
        return None
    return {"field": found["field"],
            "values": [v.strip() for v in found["values"].split("|") if v.strip()]}


def problems(fields: list[dict]) -> list[tuple[str, dict, dict]]:
    """What is wrong with a task's form fields: (reason, field, params) for each fault. (A
    choice without values is a lint warning, not a fault: the step completes with it left
    empty, as in stock SpiffWorkflow.)"""
    found = []
    ids = {f["id"] for f in fields}
    for field in fields:
        kind = field.get("type") or "string"
        if kind not in _TYPES:
            found.append(("form_field_type", field, {"type": kind, "types": ", ".join(TYPES)}))
        pattern = (field.get("constraints") or {}).get("pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                found.append(("form_field_pattern", field, {"pattern": pattern,
                                                            "detail": str(exc)}))
        raw = (field.get("properties") or {}).get("show_when")
        if raw is not None:
            when = show_when(raw)
            if when is None or when["field"] not in ids or when["field"] == field["id"]:
                found.append(("form_field_show_when", field, {"show_when": raw}))
    return found


def _multi_default(text: str) -> list[str]:
    return [v.strip() for v in text.strip("[]").replace('"', "").split(",") if v.strip()]


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
        kind = field.get("type") or "string"
        prop: dict[str, Any] = dict(_TYPES.get(kind, {}))
        values = field.get("values", [])
        labels = {v["id"]: v.get("name") or v["id"] for v in values}
        if kind == "enum":
            prop = {"enum": [v["id"] for v in values], "x-labels": labels}
        elif kind == "multi_enum":
            prop = {"type": "array", "items": {"enum": [v["id"] for v in values]},
                    "uniqueItems": True, "x-type": "multi_enum", "x-labels": labels}
        if field.get("label"):
            prop["title"] = field["label"]
        if field.get("default") is not None:
            prop["default"] = _multi_default(field["default"]) if kind == "multi_enum" \
                else field["default"]
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
        if constraints.get("pattern") is not None:
            # The whole text must match (JSON Schema's `pattern` finds it anywhere).
            prop["pattern"] = f"^(?:{constraints['pattern']})$"
        if kind == "multi_enum" and "required" in constraints:
            prop["minItems"] = 1
        properties = field.get("properties") or {}
        if properties.get("help"):
            prop["description"] = properties["help"]
        when = show_when(properties.get("show_when"))
        if when is not None:
            prop["x-show-when"] = when
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


# jsonschema's validator → the code of its note (its English text stays jsonschema's).
NOTE_CODES = {"type": "wrong_type", "enum": "not_an_option", "minLength": "too_short",
              "maxLength": "max_length", "minimum": "too_small", "exclusiveMinimum": "too_small",
              "maximum": "too_large", "exclusiveMaximum": "too_large"}
FORMAT_CODES = {"date": "not_a_date", "date-time": "not_a_date_time"}


def _note(error) -> notes.Note:
    """jsonschema's note on one field, coded by its validator (and that validator's value)."""
    if error.validator == "format":
        code = FORMAT_CODES.get(error.validator_value, "wrong_type")
    else:
        code = NOTE_CODES.get(error.validator, "invalid")
    params = {"max": error.validator_value} if code == "max_length" else {}
    return notes.Note(code, error.message, **params)


def leaves(schema: dict | None, prefix: str = ""):
    """(dotted path, property schema, parent schema, name) of every field, in order."""
    for name, prop in ((schema or {}).get("properties") or {}).items():
        if prop.get("type") == "object":
            yield from leaves(prop, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", prop, schema, name


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted path of `data`, or None."""
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def shown(prop: dict, data: Any) -> bool:
    """Is the field shown for this data (its `show_when` holds, or it has none)?"""
    when = prop.get("x-show-when")
    if not when:
        return True
    value = value_at(data, when["field"])
    found = value if isinstance(value, list) else [value]
    return any(("true" if v is True else "false" if v is False else str(v)) in when["values"]
               for v in found if v is not None)


def hidden_fields(schema: dict | None, data: Any) -> set[str]:
    """The dotted paths of the fields hidden for this data (a field hidden by a hidden field is
    hidden too: its condition reads a value that is not stored)."""
    hidden: set[str] = set()
    visible = dict(data) if isinstance(data, dict) else {}
    changed = True
    while changed:
        changed = False
        for path, prop, _parent, _name in leaves(schema):
            if path not in hidden and not shown(prop, visible):
                hidden.add(path)
                visible = _without(visible, path)
                changed = True
    return hidden


def _without(data: dict, path: str) -> dict:
    head, _, rest = path.partition(".")
    if head not in data:
        return data
    out = dict(data)
    if rest:
        if isinstance(out[head], dict):
            out[head] = _without(out[head], rest)
    else:
        del out[head]
    return out


def drop_hidden(schema: dict | None, data: Any) -> Any:
    """`data` without the values of hidden fields (they are not stored)."""
    if not isinstance(data, dict):
        return data
    for path in hidden_fields(schema, data):
        data = _without(data, path)
    return data


def _shown_schema(schema: dict, hidden: set[str]) -> dict:
    """The schema with the hidden fields no longer required."""
    if not hidden:
        return schema

    def walk(node: dict, prefix: str) -> dict:
        node = dict(node)
        if node.get("required"):
            node["required"] = [n for n in node["required"] if f"{prefix}{n}" not in hidden]
        node["properties"] = {name: walk(prop, f"{prefix}{name}.")
                              if prop.get("type") == "object" else prop
                              for name, prop in node.get("properties", {}).items()}
        return node
    return walk(schema, "")


def validate(schema: dict | None, data: Any) -> dict[str, list[str]]:
    """Return field errors keyed by dotted path (empty when valid); a field hidden by its
    `show_when` is not required."""
    if not isinstance(data, dict):
        return {"_schema": [notes.note("json_object")]}
    if schema is None:
        return {}
    errors: dict[str, list[str]] = {}
    schema = _shown_schema(schema, hidden_fields(schema, data))
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    for error in validator.iter_errors(data):
        # An error inside a list (a multiple choice) is the list field's.
        path = ".".join(str(p) for p in error.absolute_path if not isinstance(p, int))
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            key = f"{path}.{missing}" if path else missing
            errors.setdefault(key, []).append(notes.note("required"))
        elif error.validator == "additionalProperties":
            allowed = set(error.schema.get("properties", {}))
            for extra in sorted(set(error.instance) - allowed):
                key = f"{path}.{extra}" if path else extra
                errors.setdefault(key, []).append(notes.note("unknown_field"))
        elif error.validator == "pattern":
            errors.setdefault(path or "_schema", []).append(notes.note("pattern_mismatch"))
        elif error.validator == "minItems":
            errors.setdefault(path or "_schema", []).append(notes.note("at_least_one"))
        elif error.validator == "uniqueItems":
            errors.setdefault(path or "_schema", []).append(notes.note("chosen_twice"))
        else:
            errors.setdefault(path or "_schema", []).append(_note(error))
    return errors


def schema_of_form_data(data: bytes) -> dict | None:
    """The JSON Schema of one `camunda:formData` element (XML), read as the parser reads a
    deployed task's: the designer previews the form being built with it."""
    if not data.strip():
        return None
    task = etree.Element(f"{{{BPMN_NS}}}userTask")
    etree.SubElement(task, f"{{{BPMN_NS}}}extensionElements").append(parse_xml(data, "form.xml"))
    return form_schema(camunda_extensions(task).get("formData") or [])


def choices_without_values(schema: dict | None) -> list[str]:
    """The dotted paths of the choice fields (single or multiple) that offer no value."""
    return [path for path, prop, _parent, _name in leaves(schema)
            if prop.get("enum") == [] or (prop.get("items") or {}).get("enum") == []]
