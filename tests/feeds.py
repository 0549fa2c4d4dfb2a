"""The public site's feeds checked against their specifications: Atom against the RELAX NG schema
of RFC 4287 appendix B and its Schematron rules (tests/fixtures/atom.rng), JSON Feed against a
JSON Schema of JSON Feed 1.1 (tests/fixtures/jsonfeed-1.1.schema.json)."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from lxml import etree, isoschematron

FIXTURES = Path(__file__).parent / "fixtures"
ATOM = "{http://www.w3.org/2005/Atom}"


@cache
def _atom_schemas():
    doc = etree.parse(str(FIXTURES / "atom.rng"))
    return etree.RelaxNG(doc), isoschematron.Schematron(doc, store_report=True)


@cache
def _json_feed_schema() -> Draft202012Validator:
    schema = json.loads((FIXTURES / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def atom_errors(data: bytes) -> list[str]:
    """What is wrong with an Atom document by RFC 4287's schema and rules (empty: valid)."""
    relaxng, schematron = _atom_schemas()
    doc = etree.fromstring(data)
    errors = [] if relaxng.validate(doc) else [str(e) for e in relaxng.error_log]
    if not schematron.validate(doc):
        errors += [" ".join(t.split()) for t in schematron.validation_report.xpath(
            "//svrl:failed-assert/svrl:text/text()",
            namespaces={"svrl": "http://purl.oclc.org/dsdl/svrl"})]
    return errors


def json_feed_errors(data: bytes) -> list[str]:
    """What is wrong with a JSON Feed by the 1.1 schema (empty: valid)."""
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in _json_feed_schema().iter_errors(json.loads(data))]


def atom_titles(data: bytes) -> list[str]:
    """The entry titles of a valid Atom feed (fails on an invalid one)."""
    assert atom_errors(data) == []
    return [e.text for e in etree.fromstring(data).iterfind(f"{ATOM}entry/{ATOM}title")]


def json_feed_titles(data: bytes) -> list[str]:
    """The item titles of a valid JSON Feed (fails on an invalid one)."""
    assert json_feed_errors(data) == []
    return [i.get("title") for i in json.loads(data)["items"]]
