"""The restricted evaluator for BPMN scripts, conditions and timer expressions.

SpiffWorkflow runs scripts with plain `exec` and full builtins. This module replaces its script
environment. Every script and expression runs in a worker process of `sandbox` (OS limits and a
seccomp filter: the last line); inside the worker the code is checked, instrumented and compiled
once per text, then run with an explicit set of helpers and safe builtins (the first lines):

- policy (refused before running), on RestrictedPython's transformer: no name, argument or
  attribute starting with `_` (so the guards below cannot be shadowed or reached), no imports,
  classes, try/with, global, async, yield, decorated or defaulted defs; attributes only from an
  allow-list (no frame, code or function internals, no `format`); lambdas without defaults;
  f-string format specs only small constants; `locals()`/`vars()`/`globals()` copy the data. `print` writes to the server log.
- work: every loop iteration, comprehension item and lambda or def call is a tick (at most
  `MAX_TICKS`, and the wall time is checked every tick against `MAX_SECONDS`); `range` is
  bounded; each C-level operation gets only bounded input (see below), so no single step is long.
- memory: every operation that builds a sequence (`*`, `+`, `**`, `<<`, `%`, calls of builtins
  and methods) is checked *before* it runs against `MAX_ITEMS` items per value and `MAX_CELLS`
  of nested size; calls charge what they return to a total of `MAX_ALLOCATED` per evaluation;
  comparisons, hashing, formatting and the task data written back are walked (with a cut-off,
  and at most `values.MAX_DEPTH` levels deep) so shared-structure tricks cannot expand.

What the budget cannot see (C-level work on huge inputs, a crash of the interpreter) the worker's
limits stop: the worker is killed and replaced, and only that evaluation fails. A refused or
exhausted script raises `ScriptRefused`, which the engine reports as the element's error (the
instance goes to `error`, like any failing script).
"""
from __future__ import annotations

import ast
import contextlib
import contextvars
import logging
import operator
import re
import time
import types
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo, UTC
from decimal import Decimal
from typing import Any
from collections.abc import Callable

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import RestrictingNodeTransformer

from . import values

MAX_TICKS = 100_000
MAX_SECONDS = 1.0
MAX_ITEMS = 100_000          # items of one list/str/dict built by an operation
MAX_CELLS = 200_000          # nested (expanded) size of any value walked
MAX_ALLOCATED = 2_000_000    # items built by all calls and operations of one evaluation
MAX_INT_BITS = 10_000
MAX_SOURCE = 20_000
MAX_FSTRING_PARTS = 20
MAX_PRINTED = 50             # print() lines of one evaluation that reach the log

ALLOWED_ATTRIBUTES = frozenset("""
    get keys values items copy setdefault pop append extend insert remove index count sort reverse
    clear update add discard union intersection difference issubset issuperset
    lower upper strip lstrip rstrip split rsplit splitlines startswith endswith find rfind
    isdigit isalpha isalnum isspace isnumeric isdecimal title capitalize casefold join partition
    rpartition removeprefix removesuffix replace zfill ljust rjust center
    year month day hour minute second microsecond tzinfo weekday isoweekday isoformat
    strftime date time astimezone timestamp days seconds microseconds total_seconds
    real imag
""".split())
# Methods whose result can be much larger than their inputs: checked before they run.
_GROWING = {"join", "replace", "zfill", "ljust", "rjust", "center", "extend", "update", "insert",
            "append", "setdefault"}
_FORBIDDEN_NODES = {
    ast.Import: "import", ast.ImportFrom: "import", ast.ClassDef: "class",
    ast.AsyncFunctionDef: "async", ast.AsyncFor: "async",
    ast.AsyncWith: "async", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
    ast.Global: "global", ast.Nonlocal: "nonlocal", ast.Try: "try/except", ast.With: "with",
    ast.Raise: "raise", ast.Match: "match",
}
if hasattr(ast, "TryStar"):
    _FORBIDDEN_NODES[ast.TryStar] = "try/except"
# Builtins a script might reach for; named in the refusal so the designer knows why.
_UNAVAILABLE = frozenset("""open eval exec compile getattr setattr delattr dir
    type object super help input breakpoint memoryview classmethod staticmethod property iter next
    map filter exit quit hasattr id hash callable isinstance issubclass chr ord format
    bytearray frozenset""".split())
_GUARDED_OPS = {ast.Pow: "**", ast.Mult: "*", ast.LShift: "<<", ast.Add: "+", ast.Mod: "%"}
_INPLACE = {"+=": ("+", operator.iadd), "*=": ("*", operator.imul), "**=": ("**", operator.ipow),
            "<<=": ("<<", operator.ilshift), "%=": ("%", operator.imod)}
_SCALARS = (int, float, bool, str, type(None), date, datetime, timedelta, bytes, Decimal)
_CONTAINERS = (list, tuple, dict, set, frozenset)

log = logging.getLogger("cluedesk.scripts")


class ScriptRefused(Exception):
    """A script or expression broke the policy or exhausted its budget. `reason` is the English
    text; `code` and `params` (texts) name the rule for the pages when it has one."""

    def __init__(self, reason: str, line: int | None = None, code: str | None = None,
                 params: dict | None = None):
        self.reason, self.line = reason, line
        self.code, self.params = code, {k: str(v) for k, v in (params or {}).items()}
        super().__init__(f"{reason} (line {line})" if line else reason)

    @classmethod
    def of(cls, finding: Finding) -> ScriptRefused:
        return cls(finding.message, finding.line, finding.code, finding.params)

    def rule(self) -> dict:
        return rule_params(self.code, self.params)


def rule_params(code: str | None, params: dict) -> dict:
    """A refusal's rule as a problem's params: `rule` and each of its values as `rule_<name>`
    (the pages say the rule in the user's language; none when the words are RestrictedPython's)."""
    return {"rule": code, **{f"rule_{k}": v for k, v in params.items()}} if code else {}


# ---------------------------------------------------------------------------------------------
# Policy and instrumentation


@dataclass
class Finding:
    message: str
    line: int | None
    code: str | None = None  # the rule, for the pages (None: RestrictedPython's own words)
    params: dict = field(default_factory=dict)


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy (no `_` names or attributes, guarded attribute, item and
    iteration access) plus ours; every violation is collected (for lint), not only the first."""

    def __init__(self):
        super().__init__(errors=[], warnings=[], used_names={})
        self._found: list[tuple[tuple, Finding]] = []

    def error(self, node, info, code: str | None = None, **params):
        # RestrictedPython's wording for `_` names, in ours (one message per refusal kind).
        underscore = re.fullmatch(r'"([^"]+)" is an invalid (variable|attribute) name because '
                                  r'it starts with "_"\.?', info)
        if underscore:
            kind = "name" if underscore[2] == "variable" else underscore[2]
            info = f"the {kind} {underscore[1]!r} is not allowed"
            code, params = f"{kind}_not_allowed", {"name": underscore[1]}
        line = getattr(node, "lineno", None)
        self._found.append(((line or 0, getattr(node, "end_col_offset", 0) or 0, len(self._found)),
                            Finding(info.rstrip("."), line, code,
                                    {k: str(v) for k, v in params.items()})))

    @property
    def findings(self) -> list[Finding]:
        """In reading order, innermost first (`().__class__.__base__` names `__class__`)."""
        return [finding for _, finding in sorted(self._found, key=lambda f: f[0])]

    def visit(self, node):
        what = _FORBIDDEN_NODES.get(type(node))
        if what is not None:
            self.error(node, f"{what} is not allowed in scripts", "node_not_allowed", what=what)
            return node
        return super().visit(node)

    def visit_Name(self, node):
        if node.id in _UNAVAILABLE and isinstance(node.ctx, ast.Load):
            self.error(node, f"{node.id!r} is not available in scripts", "name_unavailable",
                       name=node.id)
        return super().visit_Name(node)

    def visit_Attribute(self, node):
        if not isinstance(node.ctx, ast.Load):
            self.error(node, f"assigning the attribute {node.attr!r} is not allowed",
                       "attribute_assigned", name=node.attr)
        elif node.attr not in ALLOWED_ATTRIBUTES and not node.attr.startswith("_"):
            self.error(node, f"the attribute {node.attr!r} is not allowed",
                       "attribute_not_allowed", name=node.attr)
        return super().visit_Attribute(node)

    def visit_AugAssign(self, node):
        # `d[k] += 1` (RestrictedPython refuses it; the earlier policy allowed it): when the
        # container and key are plain names or constants, `d[k] = d[k] + 1` is the same thing.
        target = node.target
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and \
                isinstance(target.slice, (ast.Name, ast.Constant)):
            load = ast.Subscript(value=ast.Name(target.value.id, ast.Load()),
                                 slice=_copy_simple(target.slice), ctx=ast.Load())
            value = ast.BinOp(left=load, op=node.op, right=node.value)
            assign = ast.copy_location(ast.Assign(targets=[target], value=value), node)
            ast.fix_missing_locations(assign)
            return self.visit(assign)
        return super().visit_AugAssign(node)

    def visit_Lambda(self, node):
        if node.args.defaults or node.args.kw_defaults and any(node.args.kw_defaults):
            self.error(node, "lambda default values are not allowed", "lambda_defaults")
        return super().visit_Lambda(node)

    def visit_FunctionDef(self, node):
        # A plain `def`: no decorators, no default values (as for lambdas), no annotations;
        # `yield`, `global` and `nonlocal` stay refused node by node; `_` names as everywhere.
        if node.decorator_list:
            self.error(node, "decorators are not allowed in scripts", "decorators")
        if node.args.defaults or node.args.kw_defaults and any(node.args.kw_defaults):
            self.error(node, "default values of def parameters are not allowed", "def_defaults")
        if node.returns is not None or any(
                a.annotation is not None for a in (*node.args.posonlyargs, *node.args.args,
                                                   *node.args.kwonlyargs)):
            self.error(node, "annotations are not allowed in scripts", "annotations")
        if node.name in ALLOWED_NAMES or node.name in _DATA_VIEWS:
            self.error(node, f"def {node.name!r} would hide a helper of the same name",
                       "def_hides_helper", name=node.name)
        return super().visit_FunctionDef(node)

    def visit_JoinedStr(self, node):
        parts = [v for v in node.values if isinstance(v, ast.FormattedValue)]
        if len(parts) > MAX_FSTRING_PARTS:
            self.error(node, f"an f-string may have at most {MAX_FSTRING_PARTS} fields",
                       "fstring_fields", n=MAX_FSTRING_PARTS)
        for part in parts:
            spec = part.format_spec
            if spec is None:
                continue
            if not all(isinstance(v, ast.Constant) for v in spec.values):
                self.error(node, "computed format specifications are not allowed",
                           "computed_format_spec")
                continue
            text = "".join(str(v.value) for v in spec.values)
            if any(int(n) > 1000 for n in re.findall(r"\d+", text)):
                self.error(node, "format widths above 1000 are not allowed", "format_width",
                           n=1000)
        return super().visit_JoinedStr(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str) and len(node.value) > MAX_ITEMS:
            self.error(node, "string constant too long", "constant_too_long")
        return super().visit_Constant(node)


def _copy_simple(node):
    if isinstance(node, ast.Name):
        return ast.Name(node.id, ast.Load())
    return ast.Constant(node.value)


def _is_guard(func) -> bool:
    """A call the transformers wrote (a name starting with `_`; scripts cannot write one)."""
    if isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id.startswith("_") and func.id != "_"


class _Instrument(ast.NodeTransformer):
    """Route growing operations, calls and comparisons through the guards; tick in loops.
    Runs on RestrictedPython's output: its guard calls are left as they are."""

    @staticmethod
    def _call(name, *args, node=None):
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])
        return ast.copy_location(call, node) if node is not None else call

    def _guard(self, expr):
        if isinstance(expr, ast.Constant):
            return expr
        return self._call("_cd_g", expr, node=expr)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        op = _GUARDED_OPS.get(type(node.op))
        if op is None:
            return node
        return self._call("_cd_binop", ast.Constant(op), node.left, node.right, node=node)

    def visit_Call(self, node):
        self.generic_visit(node)
        if _is_guard(node.func):
            return node
        return ast.copy_location(ast.Call(func=ast.Name(id="_cd_call", ctx=ast.Load()),
                                          args=[node.func, *node.args],
                                          keywords=node.keywords), node)

    def visit_Compare(self, node):
        self.generic_visit(node)
        node.left = self._guard(node.left)
        node.comparators = [self._guard(c) for c in node.comparators]
        return node

    def visit_Subscript(self, node):  # stores (loads are RestrictedPython's `_getitem_`)
        self.generic_visit(node)
        if not isinstance(node.slice, ast.Slice):
            node.slice = self._guard(node.slice)
        return node

    def visit_Set(self, node):
        self.generic_visit(node)
        node.elts = [self._guard(e) for e in node.elts]
        return node

    def visit_Dict(self, node):
        self.generic_visit(node)
        node.keys = [self._guard(k) if k is not None else None for k in node.keys]
        return node

    def visit_FormattedValue(self, node):
        self.generic_visit(node)
        node.value = self._guard(node.value)
        return node

    def visit_JoinedStr(self, node):
        self.generic_visit(node)
        return self._call("_cd_g", node, node=node)

    def _tick_body(self, node):
        self.generic_visit(node)
        tick = ast.copy_location(ast.Expr(self._call("_cd_tick")), node)
        node.body = [tick, *node.body]
        return node

    visit_For = visit_While = _tick_body

    def visit_comprehension(self, node):
        self.generic_visit(node)
        node.ifs = [*node.ifs, self._call("_cd_tick", node=node.iter)]
        return node

    def visit_FunctionDef(self, node):
        # Every call of a script's function counts against the budget, as a lambda call does
        # (so a function that recurses forever stops at the budget or the recursion limit).
        self.generic_visit(node)
        tick = ast.copy_location(ast.Expr(self._call("_cd_tick")), node)
        node.body = [tick, *node.body]
        return node

    def visit_Lambda(self, node):
        self.generic_visit(node)
        node.body = ast.copy_location(
            ast.BoolOp(op=ast.And(), values=[self._call("_cd_tick", node=node), node.body]), node)
        return node


def _parse(text: str, mode: str):
    if len(text) > MAX_SOURCE:
        return None, [Finding(f"longer than {MAX_SOURCE} characters", None, "source_too_long",
                              {"n": str(MAX_SOURCE)})]
    try:
        return ast.parse(text, mode=mode), []
    except SyntaxError as exc:
        return None, [Finding(f"invalid expression: {exc.msg}", exc.lineno, "syntax",
                              {"detail": str(exc.msg)})]
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, [Finding(f"invalid expression: {type(exc).__name__}", None, "syntax",
                              {"detail": type(exc).__name__})]


def _transform(text: str, mode: str):
    tree, findings = _parse(text, mode)
    if tree is None:
        return None, findings
    policy = _Policy()
    try:
        tree = policy.visit(tree)
    except RecursionError:
        return None, [Finding("expression nested too deep", None, "nested_too_deep")]
    return tree, policy.findings


def check(text: str, mode: str = "exec") -> list[Finding]:
    """Every policy violation in a script (`exec`) or expression (`eval`); empty when allowed."""
    return _transform(text, mode)[1]


def called_names(text: str, mode: str = "exec") -> list[tuple[str, int]]:
    """Names called as functions that the script does not define itself (for lint)."""
    try:
        tree = ast.parse(text, mode=mode)
    except SyntaxError:
        return []
    assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                and isinstance(n.ctx, ast.Store)}
    assigned |= {a.arg for n in ast.walk(tree) if isinstance(n, (ast.Lambda, ast.FunctionDef))
                 for a in n.args.args}
    assigned |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    return [(n.func.id, n.lineno) for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            and n.func.id not in assigned]


def read_names(text: str, mode: str = "exec") -> set[str]:
    """Names a script or expression reads (for the unused-form-field lint)."""
    try:
        tree = ast.parse(text, mode=mode)
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load)}


def expressions(specs) -> list[tuple[str | None, str, str]]:
    """(element id, mode, text) of every script and expression in these process specs."""
    found = []
    for spec in specs:
        for task_spec in spec.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None)
            for attr in ("script", "prescript", "postscript"):
                text = getattr(task_spec, attr, None)
                if isinstance(text, str) and text.strip():
                    found.append((element, "exec", text))
            for attr in ("cardinality", "condition"):
                text = getattr(task_spec, attr, None)
                if isinstance(text, str) and text.strip():
                    found.append((element, "eval", text))
            for condition, _target in (getattr(task_spec, "cond_task_specs", None) or []):
                text = (getattr(condition, "args", None) or [None])[0]
                if isinstance(text, str):
                    found.append((element, "eval", text))
            event = getattr(task_spec, "event_definition", None)
            for definition in getattr(event, "event_definitions", None) or [event]:
                text = getattr(definition, "expression", None)
                if isinstance(text, str) and text.strip():
                    found.append((element, "eval", text))
                for prop in getattr(definition, "correlation_properties", None) or []:
                    text = getattr(prop, "retrieval_expression", None)
                    if isinstance(text, str):
                        found.append((element, "eval", text))
            for attr in ("data_input", "data_output", "input_item", "output_item"):
                ref = getattr(task_spec, attr, None)
                name = getattr(ref, "bpmn_id", None)
                if isinstance(name, str):
                    found.append((element, "eval", name))
    return found


_code_cache: dict[tuple[str, str], types.CodeType] = {}
_SCRIPT_FILE = "<bpmn-script>"


def compile_checked(text: str, mode: str) -> types.CodeType:
    """Check, instrument and compile once per text (scripts are few and reused)."""
    key = (text, mode)
    code = _code_cache.get(key)
    if code is not None:
        return code
    tree, findings = _transform(text, mode)
    if findings:
        raise ScriptRefused.of(findings[0])
    tree = _Instrument().visit(tree)
    ast.fix_missing_locations(tree)
    code = compile(tree, _SCRIPT_FILE, mode)
    if len(_code_cache) > 2048:
        _code_cache.clear()
    _code_cache[key] = code
    return code


# ---------------------------------------------------------------------------------------------
# Guards (run inside the script)


class _Budget:
    __slots__ = ("ticks", "allocated", "deadline")

    def __init__(self):
        self.ticks = 0
        self.allocated = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def tick(self):
        self.ticks += 1
        if self.ticks > MAX_TICKS:
            raise ScriptRefused(f"operation budget exhausted ({MAX_TICKS} loop steps)")
        if time.monotonic() > self.deadline:
            raise ScriptRefused(f"time budget exhausted ({MAX_SECONDS:g} s)")
        return True

    def charge(self, n: int):
        self.allocated += n
        if self.allocated > MAX_ALLOCATED:
            raise ScriptRefused(f"memory budget exhausted ({MAX_ALLOCATED} items)")


# What the saved state can hold (a range or bytes would fail the save, after the step).
_KEPT = (int, float, bool, str, type(None), date, datetime, timedelta, Decimal, dict, list, tuple,
         set)


def _size(value, limit: int = MAX_CELLS, *, kept_as: str | None = None) -> int:
    """Expanded size of a value (shared parts counted each time), cut off above `limit` items or
    `values.MAX_DEPTH` levels. With `kept_as` (the data name it is kept under), a part the saved
    state cannot hold is refused."""
    if isinstance(value, _SCALARS):
        _refuse_unkept(kept_as, value)
        return len(value) if isinstance(value, (str, bytes)) else 1
    total, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        total += 1
        _refuse_unkept(kept_as, item)
        if isinstance(item, (str, bytes)):
            total += len(item)
            continue
        if isinstance(item, dict):
            children = [*item.keys(), *item.values()]
        elif isinstance(item, (list, tuple, set, frozenset)):
            children = item
        else:
            continue
        if level > values.MAX_DEPTH:
            raise ScriptRefused(f"value nested too deep (more than {values.MAX_DEPTH} levels)")
        stack.extend((child, level + 1) for child in children)
        if total + len(stack) > limit:
            raise ScriptRefused(f"value too large (more than {limit} items)")
    return total


class _Unkept(ScriptRefused):
    """A value process data cannot keep (`item` is the part that cannot be kept)."""

    def __init__(self, reason: str, item: Any):
        super().__init__(reason)
        self.item = item


def _refuse_unkept(kept_as: str | None, item: Any) -> None:
    if kept_as is not None and not isinstance(item, _KEPT):
        raise _Unkept(f"{kept_as!r} holds a {type(item).__name__} value, which process "
                            "data cannot keep (numbers, text, true/false, dates, and lists "
                            "or dicts of them)", item)


def _check_len(n: int, what: str) -> None:
    if n > MAX_ITEMS:
        raise ScriptRefused(f"{what} would be too large ({n} items, at most {MAX_ITEMS})")


_BINOPS = {"**": operator.pow, "*": operator.mul, "<<": operator.lshift, "+": operator.add,
           "%": operator.mod}
_OTHER_INPLACE = {"-=": operator.isub, "/=": operator.itruediv, "//=": operator.ifloordiv,
                  ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior,
                  "^=": operator.ixor, "@=": operator.imatmul}


class _Guards:
    """The `_cd_*` functions an instrumented script calls; one instance per evaluation."""

    def __init__(self, allowed: set[int]):
        self.budget = _Budget()
        self.allowed = allowed

    def g(self, value):
        if not isinstance(value, _SCALARS):
            _size(value)
        return value

    def tick(self):
        return self.budget.tick()

    # RestrictedPython's guards: attribute, item and iteration access, in-place operators
    def getattr_(self, obj, name, *default):
        if name.startswith("_") or name not in ALLOWED_ATTRIBUTES or \
                isinstance(obj, types.ModuleType):
            raise ScriptRefused(f"the attribute {name!r} is not allowed")
        return getattr(obj, name, *default)

    def getitem_(self, obj, key):
        if not isinstance(key, (*_SCALARS, slice)):
            _size(key)
        return obj[key]

    def inplace(self, op, current, value):
        base, apply = _INPLACE.get(op, (None, None))
        if base is None:
            return _OTHER_INPLACE[op](current, value)
        if base == "+" and isinstance(current, list) and isinstance(value, (list, tuple)):
            _check_len(len(current) + len(value), "concatenation")
            self.budget.charge(len(value))
        else:
            self.binop_check(base, current, value)
        return apply(current, value)

    def apply_(self, fn, *args, **kwargs):
        return self.call(fn, *args, **kwargs)

    def binop(self, op, left, right):
        self.binop_check(op, left, right)
        return _BINOPS[op](left, right)

    def binop_check(self, op, left, right):
        if op == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0 and \
                    abs(left) > 1 and right * max(left.bit_length(), 1) > MAX_INT_BITS:
                raise ScriptRefused(f"{left.bit_length()}-bit number ** {right} is too large")
            return
        if op == "<<":
            if isinstance(right, int) and isinstance(left, int) and \
                    right + left.bit_length() > MAX_INT_BITS:
                raise ScriptRefused(f"<< {right} is too large")
            return
        if op == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, bytes, list, tuple)) and isinstance(times, int):
                    n = len(seq) * max(times, 0)
                    _check_len(n, "repetition")
                    self.budget.charge(n)
            if isinstance(left, int) and isinstance(right, int) and \
                    left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise ScriptRefused("product of numbers is too large")
            return
        if op == "+":
            if isinstance(left, (str, bytes, list, tuple)) and isinstance(right, type(left)):
                n = len(left) + len(right)
                _check_len(n, "concatenation")
                self.budget.charge(n)
            return
        # "%": string formatting grows with its arguments
        if isinstance(left, str):
            _size(right)
            if re.search(r"%[-+ #0]*(\*|\d{4,})", left) or re.search(r"\.(\*|\d{4,})", left):
                raise ScriptRefused("format widths above 999 are not allowed")
        return

    def call(self, fn, *args, **kwargs):
        if isinstance(fn, types.BuiltinMethodType) and not isinstance(
                getattr(fn, "__self__", None), types.ModuleType):
            self._check_method(fn, args, kwargs)
        elif _is_lambda(fn):
            pass  # a lambda of this script: its body is instrumented
        elif id(fn) not in self.allowed:
            raise ScriptRefused(f"calling {getattr(fn, '__name__', type(fn).__name__)!r} "
                                "is not allowed")
        else:
            for a in (*args, *kwargs.values()):
                if not isinstance(a, _SCALARS):
                    _size(a)
        result = fn(*args, **kwargs)
        if isinstance(result, (str, bytes, list, tuple, dict, set, frozenset)):
            self.budget.charge(len(result))
        return result

    def _check_method(self, fn, args, kwargs):
        owner = fn.__self__
        if isinstance(owner, type) or not isinstance(owner, (*_SCALARS, *_CONTAINERS)):
            raise ScriptRefused(f"calling {fn.__name__!r} is not allowed")
        name = fn.__name__
        if name not in ALLOWED_ATTRIBUTES:
            raise ScriptRefused(f"calling {name!r} is not allowed")
        if kwargs.get("key") is not None and not _is_lambda(kwargs["key"]):
            raise ScriptRefused(f".{name}(key=...) takes a lambda")
        for a in (*args, *kwargs.values()):
            if not isinstance(a, _SCALARS):
                _size(a)
        self.budget.tick()
        if name not in _GROWING:
            if isinstance(owner, (list, tuple, dict, set, str)):
                self.budget.charge(len(owner) // 100)
            return
        if name == "join":
            items = list(args[0]) if args else []
            n = len(owner) * max(len(items) - 1, 0) + sum(len(x) for x in items
                                                           if isinstance(x, str))
        elif name == "replace" and isinstance(owner, str):
            old, new = (list(args) + ["", ""])[:2]
            hits = owner.count(old) if isinstance(old, str) else 0
            n = len(owner) + hits * max(len(new) - len(old), 0) if isinstance(new, str) else 0
        elif name in ("zfill", "ljust", "rjust", "center"):
            n = args[0] if args and isinstance(args[0], int) else 0
        elif name in ("extend", "update"):
            n = len(owner) + (len(args[0]) if args and hasattr(args[0], "__len__") else MAX_ITEMS)
        else:
            n = len(owner) + 1
        _check_len(n, f".{name}()")
        self.budget.charge(max(n - len(owner), 0) if name in ("extend", "update", "append",
                                                               "insert", "setdefault") else n)


# ---------------------------------------------------------------------------------------------
# Helpers and builtins


@dataclass
class ScriptContext:
    """What helpers may look up: bound by the service around engine calls (see `bound`)."""
    calendar: Any = None            # a WorkCalendar, or a function returning one (lazy)
    tz: tzinfo = UTC
    deadlines: Any = field(default_factory=dict)    # key -> config, or a function returning it
    unit_name: Callable[[str], str | None] | None = None
    user_name: Callable[[str], str | None] | None = None
    now: Callable[[], datetime] | None = None


_context: contextvars.ContextVar[ScriptContext | None] = contextvars.ContextVar(
    "cluedesk_script_context", default=None)


def use(context: ScriptContext) -> None:
    """Helpers in this thread look things up in `context` until the next `use` (the service
    sets it whenever it loads or starts a workflow, before any engine step)."""
    _context.set(context)


@contextlib.contextmanager
def bound(context: ScriptContext):
    """Helpers inside this block look things up in `context`."""
    token = _context.set(context)
    try:
        yield
    finally:
        _context.reset(token)


def default_context() -> ScriptContext:
    """The packaged working-day calendar and the deployment's time zone; no lookups."""
    from engine.calendar.workdays import WorkCalendar
    from .engine_clock import _timer_module
    return ScriptContext(calendar=WorkCalendar(), tz=_timer_module.LOCALTZ)


def _ctx() -> ScriptContext:
    return _context.get() or default_context()


def _calendar():
    cal = _ctx().calendar
    return cal() if callable(cal) else cal


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.astimezone(_ctx().tz).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return parse_date(value)
    raise ScriptRefused(f"not a date: {value!r}")


def now() -> datetime:
    """The instant of the current engine call (the application clock)."""
    from .engine_clock import _engine_now
    instant = _engine_now.get()
    if instant is None:
        raise ScriptRefused("now() is only available while the engine runs")
    return instant


def today() -> date:
    """Today's date in the deployment's time zone."""
    return now().astimezone(_ctx().tz).date()


def parse_date(text: str) -> date:
    """A date from an ISO text (a datetime text gives its date)."""
    if not isinstance(text, str) or len(text) > 40:
        raise ScriptRefused(f"not a date text: {text!r}")
    try:
        if len(text) > 10:
            return _as_date(datetime.fromisoformat(text))
        return date.fromisoformat(text)
    except ValueError:
        raise ScriptRefused(f"not a date text: {text!r}") from None


def add_days(day, n: int) -> date:
    """The calendar day `n` days after `day`."""
    return _as_date(day) + timedelta(days=int(n))


def is_working_day(day) -> bool:
    """Whether `day` is a working day (State Council arrangement, loaded calendars)."""
    return _calendar().is_workday(_as_date(day))


def add_working_days(day, n: int) -> date:
    """The `n`th working day after `day` (the day itself not counted)."""
    if not 0 <= int(n) <= 3660:
        raise ScriptRefused("working days must be between 0 and 3660")
    return _calendar().add_workdays(_as_date(day), int(n))


def working_days_between(start, end) -> int:
    """Working days after `start` up to and including `end`."""
    a, b = _as_date(start), _as_date(end)
    if abs((b - a).days) > 3660 * 2:
        raise ScriptRefused("range of working days too long")
    return _calendar().workdays_between(a, b)


def deadline_due(key: str, start=None) -> date:
    """The last day of statutory deadline `key` started on `start` (default today)."""
    from engine.calendar import workdays
    keys = _ctx().deadlines
    conf = (keys() if callable(keys) else keys).get(key)
    if conf is None:
        raise ScriptRefused(f"deadline key {key!r} is not configured", code="deadline_unknown",
                            params={"key": key})
    begin = _as_date(start) if start is not None else today()
    return workdays.due_date(_calendar(), begin, int(conf["amount"]), conf["unit"])


def unit_name(code: str) -> str | None:
    """The name of the unit with this code (None when unknown)."""
    lookup = _ctx().unit_name
    if lookup is None:
        raise ScriptRefused("unit_name() is not available here")
    return lookup(str(code))


def user_name(username: str) -> str | None:
    """The display name of a user (None when unknown)."""
    lookup = _ctx().user_name
    if lookup is None:
        raise ScriptRefused("user_name() is not available here")
    return lookup(str(username))


def _range(*args):
    r = range(*args)
    _check_len(len(r), "range")
    return r


def _is_lambda(fn) -> bool:
    """A lambda of the script (its body is instrumented), not a builtin such as `' '.zfill`."""
    return isinstance(fn, types.FunctionType) and fn.__code__.co_filename == _SCRIPT_FILE


def _sum(items, start=0):
    """`sum` of numbers: adding lists or tuples with it is quadratic (use a comprehension)."""
    if not isinstance(start, (int, float, Decimal, timedelta)):
        raise ScriptRefused("sum() adds numbers only")
    return sum(items, start)


def _key_fn(fn, name):
    def call(*args, key=None, **kwargs):
        if key is not None and not _is_lambda(key):
            raise ScriptRefused(f"{name}(key=...) takes a lambda")
        if key is not None:
            kwargs["key"] = key
        return fn(*args, **kwargs)
    call.__name__ = name
    return call


HELPERS: dict[str, Any] = {f.__name__: f for f in (
    now, today, parse_date, add_days, is_working_day, add_working_days, working_days_between,
    deadline_due, unit_name, user_name)}
HELPERS.update(date=date, timedelta=timedelta)
SAFE_BUILTINS: dict[str, Any] = {
    "len": len, "abs": abs, "round": round, "sum": _sum, "any": any, "all": all,
    "str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict,
    "set": set, "tuple": tuple, "enumerate": enumerate, "zip": zip, "reversed": reversed,
    "range": _range, "min": _key_fn(min, "min"), "max": _key_fn(max, "max"),
    "sorted": _key_fn(sorted, "sorted"), "True": True, "False": False, "None": None,
}
# `locals()`, `vars()` and `globals()`: a copy of the script's data variables (never the helpers,
# builtins, guards or functions), for idioms such as `'x' in locals()`.
_DATA_VIEWS = ("locals", "vars", "globals")
ALLOWED_NAMES = frozenset(HELPERS) | frozenset(SAFE_BUILTINS) | frozenset(_DATA_VIEWS)


# ---------------------------------------------------------------------------------------------
# One evaluation (run inside a script worker, see `sandbox`)

# Helpers that read the database or the calendars run in the server process: the worker asks.
REMOTE_HELPERS = ("is_working_day", "add_working_days", "working_days_between", "deadline_due",
                  "unit_name", "user_name")


class ScriptFailed(Exception):
    """The script raised an ordinary error (a wrong name, a division by zero...). `undefined`:
    the name a NameError found undefined (the problem then names it, in the user's language)."""

    def __init__(self, message: str, line: int | None = None, undefined: str | None = None):
        self.line = line
        self.undefined = undefined
        super().__init__(message)


class _Printer:
    """RestrictedPython's print collector: lines go to the server log (bounded)."""

    def __init__(self, lines: list[str]):
        self.lines = lines

    def __call__(self, _getattr=None):  # `_print = _print_(_getattr_)` at the top of a script
        return self

    def _call_print(self, *objects, sep=" ", end="\n", **_ignored):
        for item in objects:
            _size(item)
        if len(self.lines) < MAX_PRINTED:
            self.lines.append(str(sep).join(str(o) for o in objects)[:1000])

    def __repr__(self):
        return "\n".join(self.lines)


def _scope(helpers: dict, printed: list[str], guards: _Guards) -> dict:
    builtins = {**SAFE_BUILTINS, **helpers, "_cd_g": guards.g, "_cd_tick": guards.tick,
                "_cd_binop": guards.binop, "_cd_call": guards.call,
                "_getattr_": guards.getattr_, "_getitem_": guards.getitem_, "_getiter_": iter,
                "_write_": lambda obj: obj, "_inplacevar_": guards.inplace,
                "_apply_": guards.apply_, "_print_": _Printer(printed),
                "_unpack_sequence_": guarded_unpack_sequence,
                "_iter_unpack_sequence_": guarded_iter_unpack_sequence}
    return {"__builtins__": builtins}


def _is_data(key: str, value: Any, external: dict | None) -> bool:
    return not (key.startswith("_") or callable(value) or isinstance(value, types.ModuleType)
                or (external is not None and key in external))


def _data_views(scope: dict, external: dict | None) -> dict:
    def view(*args):
        if args:
            raise ScriptRefused("vars() takes no argument in scripts", code="vars_argument")
        return {k: v for k, v in scope.items() if _is_data(k, v, external)}
    return dict.fromkeys(_DATA_VIEWS, view)


def evaluate_here(mode: str, text: str, data: dict, external: dict | None = None, *,
                  helpers: dict | None = None, policy: bool = True):
    """Run a script (`exec`: returns the new data) or an expression (`eval`: its value) in this
    process, under the policy and the budgets; returns (result, printed lines).

    Without `policy` (tests of the OS limits only) the text runs as plain Python."""
    helpers = HELPERS if helpers is None else helpers
    printed: list[str] = []
    if policy:
        code = compile_checked(text, mode)
        allowed = {id(v) for v in (*helpers.values(), *SAFE_BUILTINS.values()) if callable(v)}
        guards = _Guards(allowed)
        scope = _scope(helpers, printed, guards)
        views = _data_views(scope, external)
        scope["__builtins__"].update(views)
        allowed.update(id(v) for v in views.values())
    else:
        code = compile(text, _SCRIPT_FILE, mode)
        scope = {**helpers}
    scope.update(external or {})
    scope.update(data)
    try:
        if mode == "eval":
            result = eval(code, scope)  # noqa: S307 — checked and instrumented code only
            _size(result)
            return result, printed
        exec(code, scope)  # noqa: S102
    except RecursionError:
        raise ScriptRefused("recursion too deep") from None
    except MemoryError:
        raise ScriptRefused("out of memory") from None
    except (ScriptRefused, ScriptFailed):
        raise
    except Exception as exc:
        undefined = getattr(exc, "name", None) if isinstance(exc, NameError) else None
        raise ScriptFailed(f"{type(exc).__name__}: {exc}"[:2000], _script_line(exc),
                           undefined if isinstance(undefined, str) else None) from None
    kept = {}
    for key, value in scope.items():
        if key == "__builtins__" or callable(value) or isinstance(value, types.ModuleType) or \
                (external and key in external) or (not policy and key in helpers
                                                    and value is helpers[key]):
            continue
        if data.get(key, _MISSING) is not value:
            # Nothing huge (or exponentially shared), nothing unsaveable reaches the data; a
            # value holding the script's own functions is dropped, as the functions are.
            try:
                _size(value, kept_as=key)
            except _Unkept as exc:
                if not isinstance(exc.item, types.FunctionType):
                    raise
                log.info("script value %r holds a function and is not kept", key)
                continue
        kept[key] = value
    return kept, printed


def _script_line(exc: BaseException) -> int | None:
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _SCRIPT_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


_MISSING = object()


# ---------------------------------------------------------------------------------------------
# The SpiffWorkflow environment and engine (server side: every evaluation goes to the pool)

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException  # noqa: E402
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine  # noqa: E402
from SpiffWorkflow.bpmn.script_engine.python_environment import (  # noqa: E402
    BasePythonScriptEngineEnvironment)

from . import sandbox  # noqa: E402


def call_helper(name: str, args: list):
    """A helper the worker asked for, run here in the bound context (see `REMOTE_HELPERS`)."""
    if name not in REMOTE_HELPERS or not isinstance(args, list) or len(args) > 3:
        raise ScriptRefused(f"calling {name!r} is not allowed")
    for arg in args:
        if not isinstance(arg, _SCALARS):
            raise ScriptRefused(f"{name}() takes dates, numbers or text")
    return HELPERS[name](*args)


def evaluate(mode: str, text: str, data: dict, external: dict | None = None):
    """Evaluate in a pooled worker; the instant and time zone of this engine call go along."""
    from .engine_clock import _engine_now
    instant = _engine_now.get()
    offset = (instant or datetime.now(UTC)).astimezone(_ctx().tz).utcoffset()
    return sandbox.pool().evaluate({
        "mode": mode, "text": text, "data": data, "external": external or {},
        "now": instant, "tz_offset": int(offset.total_seconds()) if offset else 0,
        "policy": STATIC_POLICY})


STATIC_POLICY = True  # switched off only by the tests that show the OS limits alone


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Task data in, task data out: evaluated in a script worker."""

    def evaluate(self, expression, context, external_context=None):
        return evaluate("eval", expression, context, external_context)

    def execute(self, script, context, external_context=None):
        kept = evaluate("exec", script, context, external_context)
        for key in [k for k in context if k not in kept]:
            del context[key]
        context.update(kept)
        return True

    def call_service(self, context, **kwargs):
        raise ScriptRefused("service tasks are not supported")


class RestrictedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine on the restricted environment; errors name the element."""

    def __init__(self):
        super().__init__(environment=RestrictedEnvironment())

    def validate(self, expression):
        findings = check(expression, "eval")
        if findings:
            raise ScriptRefused.of(findings[0])

    def evaluate(self, task, expression, external_context=None):
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except ScriptRefused as exc:
            raise _refused(task, exc) from None
        except ScriptFailed as exc:
            raise WorkflowTaskException(f"Error evaluating expression '{expression}': {exc}",
                                        task=task, exception=exc,
                                        line_number=exc.line or 0) from None

    def execute(self, task, script, external_context=None):
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except ScriptRefused as exc:
            raise _refused(task, exc) from None
        except ScriptFailed as exc:
            element = getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name
            raise WorkflowTaskException(f"script error in {element}: {exc}", task=task,
                                        exception=exc, line_number=exc.line or 0) from None


def _refused(task, exc: ScriptRefused) -> WorkflowTaskException:
    element = getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name
    return WorkflowTaskException(f"script refused in {element}: {exc}", task=task, exception=exc,
                                 line_number=exc.line or 0)


ENGINE = RestrictedScriptEngine()


def run_script(text: str, data: dict | None = None, *, mode: str = "exec",
               context: ScriptContext | None = None) -> Any:
    """Run a script (or evaluate an expression) on `data` outside any workflow; for tests/lint."""
    data = dict(data or {})
    with bound(context or default_context()):
        if mode == "eval":
            return evaluate("eval", text, data)
        return evaluate("exec", text, data)


__all__ = ["ALLOWED_NAMES", "ENGINE", "Finding", "RestrictedScriptEngine", "ScriptContext",
           "ScriptFailed", "ScriptRefused", "bound", "called_names", "check", "evaluate_here",
           "expressions", "read_names", "run_script", "use"]
