"""The escape corpus: scripts that try to leave the restricted evaluator or exhaust the machine.

Each attempt must end in `ScriptRefused` with a message that says why, and must not allocate more
than a bounded amount of memory on the way (measured with tracemalloc). Scripts from the
conformance corpus and bpmn/ still run (tests/e2e/test_conformance.py); the allowed helpers are
exercised at the end.
"""
from __future__ import annotations

import tracemalloc
from datetime import date

import pytest

from engine.workflow.scripting import ScriptFailed, ScriptRefused, check, run_script
from tests.conftest import FROZEN

ESCAPES = {
    "import": ("import os\nos.system('id')", "import is not allowed"),
    "from-import": ("from subprocess import run", "import is not allowed"),
    "dunder-import": ("__import__('os')", "'__import__' is not allowed"),
    "subclasses-walk": ("x = ().__class__.__base__.__subclasses__()", "'__class__' is not allowed"),
    "globals-of-helper": ("g = today.__globals__", "'__globals__' is not allowed"),
    "builtins-name": ("b = __builtins__", "'__builtins__' is not allowed"),
    "builtins-via-dict": ("b = {}.__class__", "'__class__' is not allowed"),
    "getattr-dunder": ("getattr((), '__cl' + 'ass__')", "'getattr' is not available"),
    "format-attribute": ("s = '{0.__class__}'.format(1)", "'format' is not allowed"),
    "format-map": ("s = '{x.__class__}'.format_map({'x': 1})", "'format_map' is not allowed"),
    "fstring-huge-width": ("s = f'{1:>999999999}'", "format widths above 1000"),
    "percent-huge-width": ("s = '%999999999d' % 1", "format widths above 999"),
    "open": ("open('/etc/passwd').read()", "'open' is not available"),
    "eval": ("eval('1+1')", "'eval' is not available"),
    "exec": ("exec('x = 1')", "'exec' is not available"),
    "compile": ("compile('1', 'f', 'eval')", "'compile' is not available"),
    "type-new-class": ("t = type('X', (), {})", "'type' is not available"),
    "huge-power": ("x = 10**10**8", "is too large"),
    "huge-shift": ("x = 1 << 10**9", "is too large"),
    "huge-repeat": ("s = 'a' * 10**10", "repetition would be too large"),
    "huge-list-repeat": ("x = [0] * 10**9", "repetition would be too large"),
    "doubling-concat": ("x = [1]\nfor i in range(40):\n    x = x + x", "concatenation would be"),
    "doubling-augmented": ("x = 'ab'\nfor i in range(40):\n    x += x", "would be too large"),
    "doubling-extend": ("x = [1]\nfor i in range(40):\n    x.extend(x)", ".extend() would be"),
    "infinite-while": ("while True:\n    pass", "operation budget exhausted"),
    "infinite-comprehension": ("x = [1 for a in range(100000) for b in range(100000)]",
                               "operation budget exhausted"),
    "huge-range": ("x = list(range(10**9))", "range would be too large"),
    "many-big-lists": ("x = [0] * 100000\ny = [list(x) for _ in range(1000)]",
                       "budget exhausted"),
    "shared-structure": ("x = [1]\nfor i in range(60):\n    x = [x, x]\ny = str(x)",
                         "value too large"),
    "shared-structure-compare": ("x = [1]\ny = [1]\nfor i in range(60):\n    x = [x, x]\n"
                                 "    y = [y, y]\nz = x == y", "value too large"),
    "shared-structure-output": ("x = [1]\nfor i in range(60):\n    x = [x, x]", "value too large"),
    "replace-explosion": ("s = 'a' * 100000\nt = s.replace('', s)", ".replace() would be"),
    "join-explosion": ("s = 'a' * 100000\nt = s.join([s] * 1000)", "too large"),
    "join-explosion-small-parts": ("s = 'a' * 300\nt = s.join([s] * 500)", ".join() would be"),
    "ljust-explosion": ("s = 'a'.ljust(10**10)", ".ljust() would be"),
    "lambda-recursion": ("f = lambda n: f(n + 1)\nf(0)", "recursion too deep"),
    "lambda-default-trick": ("f = lambda g=today: g.__globals__", "lambda default values"),
    "generator-frame": ("g = (i for i in range(3))\nf = g.gi_frame.f_back", "'gi_frame' is not"),
    "generator-code": ("g = (i for i in range(3))\nc = g.gi_code", "'gi_code' is not allowed"),
    "lambda-code": ("f = lambda: 1\nc = f.func_globals", "'func_globals' is not allowed"),
    "method-self": ("s = 'x'.upper.__self__", "'__self__' is not allowed"),
    "type-attribute": ("m = str.mro()", "'mro' is not allowed"),
    "unbound-method": ("s = str.ljust('a', 10**10)", "calling 'ljust' is not allowed"),
    "sorted-key-builtin": ("x = sorted(['a'], key=str.upper)", "takes a lambda"),
    "def-recursion": ("def f(n):\n    return f(n + 1)\nf(0)", "recursion too deep"),
    "def-call-explosion": ("def f(n):\n    return 1 if n == 0 else f(n - 1) + f(n - 1)\n"
                           "x = f(40)", "operation budget exhausted"),
    "def-loop-forever": ("def f():\n    while True:\n        pass\nf()",
                         "operation budget exhausted"),
    "def-shadows-guard": ("def _cd_tick():\n    return True", "'_cd_tick' is not allowed"),
    "def-shadows-getattr-guard": ("def _getattr_(o, n):\n    return o",
                                  "'_getattr_' is not allowed"),
    "def-shadows-helper": ("def sorted(x):\n    return x", "would hide a helper"),
    "def-shadows-locals": ("def locals():\n    return {}", "would hide a helper"),
    "def-default-trick": ("def f(g=today):\n    return g", "default values of def parameters"),
    "def-decorator": ("def d(f):\n    return f\n@d\ndef g():\n    return 1",
                      "decorators are not allowed"),
    "def-generator": ("def g():\n    yield 1", "yield is not allowed"),
    "def-globals": ("def f():\n    return 1\ng = f.__globals__", "'__globals__' is not allowed"),
    "def-code": ("def f():\n    return 1\nc = f.__code__", "'__code__' is not allowed"),
    "def-nonlocal": ("def f():\n    nonlocal x\n    x = 1", "nonlocal is not allowed"),
    "async-def": ("async def f():\n    return 1", "async is not allowed"),
    "vars-of-a-helper": ("x = vars(today)", "vars() takes no argument"),
    "class": ("class X:\n    pass", "class is not allowed"),
    "try-swallow-budget": ("try:\n    while True:\n        pass\nexcept BaseException:\n    pass",
                           "try/except is not allowed"),
    "attribute-store": ("x = [1]\nx.append = 1", "assigning the attribute"),
    "global": ("global x\nx = 1", "global is not allowed"),
    "yield": ("x = [(yield 1)]", "not allowed"),
    "hidden-guard-name": ("_cd_call = 1", "'_cd_call' is not allowed"),
}


def test_the_corpus_is_large_enough():
    assert len(ESCAPES) >= 25


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_escape_is_refused_with_a_clear_error_in_bounded_memory(name):
    script, reason = ESCAPES[name]
    tracemalloc.start()
    try:
        with pytest.raises(ScriptRefused) as refused:
            run_script(script, {})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reason in str(refused.value)
    assert peak < 64 * 1024 * 1024, f"{name} allocated {peak} bytes before it was refused"


def test_locals_vars_and_globals_are_copies_of_the_data_only():
    for view in ("locals", "vars", "globals"):
        data = run_script(f"a = 2\ndef f():\n    return sorted({view}())\nseen = sorted({view}())\n"
                          f"inner = f()\ncopy = {view}()\ncopy['b'] = 3\nadded = 'b' in {view}()",
                          {"x": 1})
        assert data["seen"] == ["a", "x"] and data["inner"] == ["a", "seen", "x"]
        assert data["added"] is False and "b" not in data
    assert run_script("sorted(locals()) + sorted(globals())", {"x": 1}, mode="eval") == ["x", "x"]
    assert run_script("'y' in vars() or 'x' in globals()", {"x": 1}, mode="eval") is True
    for view in ("locals", "vars", "globals"):
        with pytest.raises(ScriptFailed, match="KeyError: '__builtins__'"):
            run_script(f"b = {view}()['__builtins__']", {})
        for name in ("today", "len", "_cd_tick", "_getattr_", "_print_", "print"):
            assert name not in run_script(f"names = list({view}())", {})["names"]


def test_a_def_runs_and_its_function_never_reaches_the_data():
    data = run_script("def fact(n):\n    if n < 2:\n        return 1\n    return n * fact(n - 1)\n"
                      "x = fact(10)\nfs = [fact]\nby_name = {'f': fact}\nok = [1]", {})
    assert data == {"x": 3628800, "ok": [1]}


def test_policy_violations_are_found_without_running_and_name_the_line():
    findings = check("x = 1\ny = ().__class__\nimport os")
    assert [(f.line, f.message) for f in findings] == [
        (2, "the attribute '__class__' is not allowed"), (3, "import is not allowed in scripts")]


def test_ordinary_scripts_and_expressions_still_run():
    data = run_script(
        "v = 1\nv += 1\nitems = [x * 2 for x in range(5) if x != 3]\n"
        "ranked = sorted(items, key=lambda x: -x)\nparts = 'a, b'.split(',')\n"
        "names = [p.strip().upper() for p in parts]\ntotal = sum(items) + max(items)\n"
        "label = f'{total:>5}|{len(names)}'\nflags = {'ok': all(x >= 0 for x in items)}",
        {"unused": 1})
    assert data["v"] == 2 and data["ranked"] == [8, 4, 2, 0]
    assert data["names"] == ["A", "B"] and data["label"] == "   22|2"
    assert data["flags"] == {"ok": True} and data["unused"] == 1
    assert run_script("x > 1 and name == 'a'", {"x": 2, "name": "a"}, mode="eval") is True


def test_date_and_working_day_helpers():
    data = run_script("due = add_working_days(date(2026, 9, 30), 3)\n"
                      "n = working_days_between(date(2026, 9, 30), due)\n"
                      "w = is_working_day('2026-10-01')\nnext_day = add_days('2026-02-28', 1)", {})
    # National Day: 1–7 October 2026 are holidays; Saturday 10 October is a swapped working day.
    assert data["due"] == date(2026, 10, 10) and data["n"] == 3
    assert data["w"] is False and data["next_day"] == date(2026, 3, 1)


def test_now_is_the_engine_instant_and_unavailable_outside_the_engine():
    from engine.workflow.engine_clock import engine_time
    with pytest.raises(ScriptRefused, match="only available while the engine runs"):
        run_script("t = now()", {})
    with engine_time(FROZEN):
        assert run_script("t = now()", {})["t"] == FROZEN


SCRIPTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="escape_attempt" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="evil_script" name="evil"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>SCRIPT</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="evil_script"/>
    <bpmn:sequenceFlow id="f2" sourceRef="evil_script" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_deploy_refuses_a_policy_violation_naming_the_element(api):
    resp = api.as_("designer").deploy(SCRIPTED.replace(b"SCRIPT", b"import os"), "evil.bpmn")
    assert resp.status == 422
    assert {"element_id": "evil_script", "message": "import is not allowed in scripts"}.items() \
        <= resp.json["error"]["details"][0].items()
    assert resp.json["error"]["details"][0]["line"] == 5


def test_a_runaway_script_puts_the_instance_in_error_naming_the_element(api):
    designer = api.as_("designer")
    assert designer.deploy(SCRIPTED.replace(b"SCRIPT", b"while True:\n  n = 1"),
                           "loop.bpmn").status == 201
    inst = designer.start("escape_attempt").json
    assert inst["status"] == "error"
    assert inst["error"]["element_id"] == "evil_script"
    assert "script refused in evil_script: operation budget exhausted" in inst["error"]["message"]


def test_a_def_that_recurses_forever_puts_the_instance_in_error(api):
    designer = api.as_("designer")
    assert designer.deploy(SCRIPTED.replace(b"SCRIPT", b"def f(n):\n  return f(n + 1)\nx = f(0)"),
                           "recurse.bpmn").status == 201
    inst = designer.start("escape_attempt").json
    assert inst["status"] == "error"
    assert inst["error"]["element_id"] == "evil_script"
    assert "script refused in evil_script: recursion too deep" in inst["error"]["message"]


def test_a_function_object_never_reaches_the_stored_data(api):
    designer = api.as_("designer")
    script = b"def f(n):\n  return n + 1\nfs = [f]\ng = f\nx = f(1)"
    assert designer.deploy(SCRIPTED.replace(b"SCRIPT", script), "def.bpmn").status == 201
    inst = designer.start("escape_attempt").json
    assert inst["status"] == "completed", inst
    assert inst["data"] == {"x": 2}


def test_lookup_helpers_read_units_users_and_deadlines_of_this_deployment(runtime):
    from engine.processes import scripts

    def run(script):
        return runtime.read(lambda uow: run_script(
            script, {}, context=scripts.context(uow.session, runtime)))
    data = run("unit = unit_name('town-a')\nnobody = unit_name('nowhere')\n"
               "who = user_name('a-worker')\ndue = deadline_due('acceptance_notice', '2026-03-02')")
    assert data["unit"] and data["nobody"] is None and data["who"]
    assert data["due"] == date(2026, 3, 23)  # 15 working days after Monday 2 March
    with pytest.raises(ScriptRefused, match="deadline key 'nope' is not configured"):
        run("d = deadline_due('nope')")


@pytest.mark.parametrize("script, kind", [("r = range(3)", "range"), ("b = b'x'", "bytes"),
                                          ("d = {'k': [1, range(2)]}", "range")])
def test_a_value_the_state_cannot_keep_puts_the_instance_in_error_not_a_500(api, script, kind):
    designer = api.as_("designer")
    assert designer.deploy(SCRIPTED.replace(b"SCRIPT", script.encode()),
                           "kept.bpmn").status == 201
    inst = designer.start("escape_attempt")
    assert inst.status == 201 and inst.json["status"] == "error"
    assert inst.json["error"]["element_id"] == "evil_script"
    assert f"holds a {kind} value, which process data cannot keep" in inst.json["error"]["message"]


def test_values_the_state_keeps_are_still_allowed():
    data = run_script("s = {1, 2}\nt = (1, 'a')\nd = {'when': date(2026, 3, 2), 'n': [1.5, None]}",
                      {})
    assert data["s"] == {1, 2} and data["t"] == (1, "a") and data["d"]["n"] == [1.5, None]
