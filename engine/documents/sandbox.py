"""Templates are code: they render in Jinja's sandbox over the case record only, and a template
that reaches for anything else is refused when it is uploaded.

The check walks the parsed template (every part docxtpl renders: body, headers, footers,
footnotes, core properties). Allowed: output of names from the case record, of loop variables
and `loop`; attribute and item access by plain names (no underscore) that the record can have;
`for`/`if`; comparisons, boolean logic, `~` concatenation, literals; filters and tests from a
short list (none of them reaches attributes by name). Refused: every call (so `cycler()`,
`joiner()`, `namespace()`, `range()`, `lipsum()`, `.items()`, `.__class__()`), `set`, macros,
imports, includes, extends, blocks, `with`, the `attr`/`map`/`selectattr`/`groupby`/`sort`/
`format` family. At render the environment is Jinja's `ImmutableSandboxedEnvironment` with no
globals and only the allowed filters, over plain dicts, lists and strings.
"""
from __future__ import annotations

import io
import re

from docx.oxml import parse_xml
from docxtpl import DocxTemplate
from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.errors import Invalid
from engine import notes

FILTERS = ("default", "d", "join", "length", "count", "upper", "lower", "trim", "first", "last",
           "string", "int", "round", "truncate", "e", "escape", "replace", "center", "abs")
TESTS = ("defined", "undefined", "none", "number", "string", "sequence", "true", "false")
PLAIN = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(autoescape=True)
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in FILTERS}
    env.tests = {name: env.tests[name] for name in TESTS}
    return env


def sources(data: bytes) -> list[str]:
    """The Jinja text of every part of a .docx that docxtpl renders."""
    tpl = DocxTemplate(io.BytesIO(data))
    tpl.init_docx()
    docx = tpl.docx
    out = [tpl.patch_xml(tpl.get_xml())]
    for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
        for _, part in tpl.get_headers_footers(uri):
            out.append(tpl.patch_xml(tpl.xml_to_string(parse_xml(part.blob))))
    for part in docx.part.package.parts:
        if part.content_type.endswith("wordprocessingml.footnotes+xml"):
            out.append(tpl.patch_xml(part.blob.decode("utf-8")))
    props = docx.core_properties
    out.extend(getattr(props, p) or "" for p in ("author", "comments", "identifier", "language",
                                                  "subject", "title"))
    return out


class _Refused(Exception):
    pass


def _walk(node, names: set[str], fields: set[str], bound: set[str]) -> None:
    def refuse(what: str):
        raise _Refused(what)

    if isinstance(node, (nodes.Template, nodes.Output, nodes.If, nodes.CondExpr, nodes.And,
                         nodes.Or, nodes.Not, nodes.Compare, nodes.Operand, nodes.Concat,
                         nodes.List, nodes.Tuple, nodes.Neg, nodes.Pos, nodes.Add, nodes.Sub)):
        pass
    elif isinstance(node, (nodes.TemplateData, nodes.Const)):
        return
    elif isinstance(node, nodes.Name):
        if node.ctx != "load" or node.name not in names | bound:
            refuse(node.name)
        return
    elif isinstance(node, nodes.Getattr):
        if not PLAIN.match(node.attr) or node.attr not in fields:
            refuse(node.attr)
    elif isinstance(node, nodes.Getitem):
        key = node.arg
        if not (isinstance(key, nodes.Const) and (isinstance(key.value, int) or (
                isinstance(key.value, str) and PLAIN.match(key.value)
                and key.value in fields))):
            refuse("[...]")
        _walk(node.node, names, fields, bound)
        return
    elif isinstance(node, (nodes.Filter, nodes.Test)):
        allowed = FILTERS if isinstance(node, nodes.Filter) else TESTS
        if node.name not in allowed or node.kwargs or node.dyn_args or node.dyn_kwargs:
            refuse(f"|{node.name}")
    elif isinstance(node, nodes.For):
        if node.recursive:
            refuse("recursive for")
        items = node.target.items if isinstance(node.target, nodes.Tuple) else [node.target]
        if not all(isinstance(n, nodes.Name) for n in items):
            refuse("for target")
        targets = {n.name for n in items}
        if not targets or targets & names or any(not PLAIN.match(t) for t in targets):
            refuse("for target")
        _walk(node.iter, names, fields, bound)
        if node.test is not None:
            _walk(node.test, names, fields, bound | targets)
        for child in [*node.body, *node.else_]:
            _walk(child, names, fields, bound | targets | {"loop"})
        return
    else:
        refuse(type(node).__name__)
    for child in node.iter_child_nodes():
        _walk(child, names, fields, bound)


def check(data: bytes, record: dict) -> None:
    """Refuse a template that is not a .docx, does not parse, or reaches beyond the record."""
    try:
        texts = sources(data)
    except Exception:
        raise Invalid("the file is not a Word (.docx) document", reason="template_not_docx",
                      fields={"file": [notes.note("not_docx")]}) from None
    names = set(record)
    fields = _keys(record) | {"index", "index0", "first", "last", "length", "revindex"}
    env = environment()
    for text in texts:
        try:
            tree = env.parse(text)
        except TemplateSyntaxError as exc:
            raise Invalid("the template has a placeholder error on line %(line)s: %(error)s",
                          reason="template_syntax",
                          params={"line": exc.lineno, "error": exc.message},
                          fields={"file": [notes.note("detail", detail=exc.message or "syntax")]}) from None
        try:
            _walk(tree, names, fields, set())
        except _Refused as exc:
            raise Invalid("the template uses %(what)s, which is not a field of the case record "
                          "or an allowed filter", reason="template_forbidden",
                          params={"what": str(exc)}, fields={"file": [notes.note("detail", detail=str(exc))]}) from None


def _keys(value) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            found.add(k)
            found |= _keys(v)
    elif isinstance(value, list):
        for v in value:
            found |= _keys(v)
    return found
