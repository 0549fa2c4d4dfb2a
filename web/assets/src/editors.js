// The panel's editors of what the engine evaluates, each checked as it is typed the way deploy
// and the engine will read it (POST /designer/check, web/ui/designer_check.py; the answer in
// the page's language is shown under the field): a sequence flow's condition, a timer's value
// (with when it fires, in words), a script task's script (a code editor with line numbers), a
// multi-instance's settings (what the engine reads: parallel or sequential, the collection and
// its item, the output collection and its item, cardinality, completion condition), and a
// call activity's called process, picked from the deployed ones (/designer/choices `processes`).
// Registered by designer-modeler.js: `EditorsModule` in additionalModules.
import { useService } from "bpmn-js-properties-panel";
import { Group, SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextAreaEntryEdited,
         isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { useEffect, useMemo, useRef, useState } from "@bpmn-io/properties-panel/preact/hooks";
import { jsx, jsxs } from "@bpmn-io/properties-panel/preact/jsx-runtime";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

// --- the check: one request per text (answers kept), sent a moment after typing stops
const CHECK_DELAY = 400;
const answers = new Map();
function checked(options, kind, text) {
  const key = kind + "\u0000" + text;
  if (!answers.has(key)) {
    if (answers.size > 200) answers.clear();
    answers.set(key, Promise.resolve(options.check ? options.check(kind, text) : null)
      .catch(() => null)
      .then((found) => { if (!found) answers.delete(key); return found; }));  // asked again later
  }
  return answers.get(key);
}
function useCheck(options, kind, text) {
  const [result, setResult] = useState(null);
  useEffect(() => {
    if (!text || !text.trim()) { setResult(null); return undefined; }
    let live = true;
    const timer = setTimeout(() => checked(options, kind, text).then((found) => {
      if (live) setResult(found ? { ...found, text } : null);
    }), CHECK_DELAY);
    return () => { live = false; clearTimeout(timer); };
  }, [kind, text]);
  return result && result.text === text ? result : null;
}

function CheckResult({ result, options }) {
  if (!result) return null;
  const line = (p) => {  // "第 2 行：" / "Line 2: "
    const words = p.line ? options.t("checkLine").replace("{line}", p.line) : "";
    return words && !/：$/.test(words) ? words + " " : words;
  };
  const children = [];
  result.errors.forEach((p) => children.push(jsx("div", {
    class: "bio-properties-panel-error cd-check-error", children: line(p) + p.message })));
  result.warnings.forEach((p) => children.push(jsx("div", {  // (their words name the line)
    class: "cd-check-warning", children: p.message })));
  if (result.preview) {
    children.push(jsx("div", { class: "bio-properties-panel-description cd-check-preview",
                               children: result.preview }));
  } else if (!result.errors.length && !result.warnings.length) {
    children.push(jsx("div", { class: "cd-check-ok", children: options.t("checkOk") }));
  }
  return jsx("div", { class: "cd-check", "aria-live": "polite", children });
}

// A text the engine evaluates: a textarea (for a script, with line numbers), its hint, and
// the check's answer under it. Every change is the modeler's command (undoable).
function CheckedEntry(props) {
  const { element, id, kind, label, description, getValue, setValue, options, code } = props;
  const debounce = useService("debounceInput");
  const value = getValue() || "";
  const [local, setLocal] = useState(value);
  useEffect(() => setLocal(value), [value, element]);
  // The newest setValue (a timer's type change makes a new expression to write into).
  const latest = useRef(setValue);
  latest.current = setValue;
  const commit = useMemo(() => debounce((text) => latest.current(text)), [element, id]);
  const result = useCheck(options, kind, local);
  const gutter = useRef(null);
  const lines = local.split("\n").length;
  const inputId = "bio-properties-panel-" + id;
  const onInput = (event) => { setLocal(event.target.value); commit(event.target.value); };
  const onKeyDown = (event) => {  // Tab indents in code (Esc then Tab leaves the field)
    if (!code || event.key !== "Tab" || event.shiftKey || event.ctrlKey || event.altKey) return;
    event.preventDefault();
    const area = event.target;
    const at = area.selectionStart;
    area.setRangeText("    ", at, area.selectionEnd, "end");
    onInput(event);
  };
  const area = jsx("textarea", {
    id: inputId, name: id, class: "bio-properties-panel-input cd-code-text",
    spellcheck: false, autocomplete: "off", value: local, onInput, onKeyDown,
    rows: code ? Math.min(Math.max(lines + 1, 6), 24) : Math.min(Math.max(lines, 2), 8),
    onScroll: (event) => { if (gutter.current) gutter.current.scrollTop = event.target.scrollTop; },
  });
  const editor = code ? jsxs("div", { class: "cd-code", children: [
    jsx("pre", { class: "cd-code-lines", ref: gutter, "aria-hidden": "true",
                 children: Array.from({ length: lines }, (_, i) => String(i + 1)).join("\n") }),
    area] }) : area;
  return jsxs("div", {
    class: "bio-properties-panel-entry cd-checked" + (result && result.errors.length ? " has-error" : ""),
    "data-entry-id": id, "data-kind": kind,
    children: [
      jsx("label", { for: inputId, class: "bio-properties-panel-label", children: label }),
      editor,
      jsx(CheckResult, { result, options }),
      description ? jsx("div", { class: "bio-properties-panel-description", children: description }) : null,
    ],
  });
}

// --- a sequence flow's condition
function ConditionEntry(props) {
  const { element, options } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  return jsx(CheckedEntry, {
    ...props, kind: "condition", label: options.t("condition"), description: options.t("conditionHint"),
    getValue: () => {
      const expression = getBusinessObject(element).get("conditionExpression");
      return expression ? expression.get("body") || "" : "";
    },
    setValue: (value) => modeling.updateProperties(element, {
      conditionExpression: value ? bpmnFactory.create("bpmn:FormalExpression", { body: value }) : undefined }),
  });
}

// --- a timer's value (the built-in group's type select stays; this replaces its value field)
function TimerValueEntry(props) {
  const { element, options, timerEventDefinition, timerEventDefinitionType } = props;
  const commandStack = useService("commandStack");
  const expression = timerEventDefinition.get(timerEventDefinitionType);
  return jsx(CheckedEntry, {
    ...props, kind: timerEventDefinitionType, label: options.t("timerValue"),
    description: options.t("timerHint_" + timerEventDefinitionType),
    getValue: () => (expression && expression.get("body")) || "",
    setValue: (value) => commandStack.execute("element.updateModdleProperties", {
      element, moddleElement: expression, properties: { body: value || undefined } }),
  });
}

// --- a script task's script (Python; scriptFormat set to python when it names none)
function ScriptEntry(props) {
  const { element, options } = props;
  const modeling = useService("modeling");
  return jsx(CheckedEntry, {
    ...props, kind: "script", code: true, label: options.t("script"), description: options.t("scriptHint"),
    getValue: () => getBusinessObject(element).get("script") || "",
    setValue: (value) => modeling.updateProperties(element, {
      script: value || undefined, scriptFormat: getBusinessObject(element).get("scriptFormat") || "python" }),
  });
}

// --- a call activity's called process, from the deployed ones
function CalledElementEntry(props) {
  const { element, id, options } = props;
  const modeling = useService("modeling");
  const bo = getBusinessObject(element);
  const chosen = options.choices.processes || [];
  const current = bo.get("calledElement") || "";
  const item = chosen.find((c) => c.key === current);
  return SelectEntry({
    element, id, label: options.t("calledElement"),
    description: item ? item.description : (current ? options.t("calledUnknown") : options.t("calledHint")),
    getValue: () => current,
    setValue: (value) => modeling.updateProperties(element, { calledElement: value || undefined }),
    getOptions: () => [{ value: "", label: "—" }].concat(
      current && !item ? [{ value: current, label: current }] : [],
      chosen.map((c) => ({ value: c.key, label: c.label }))),
  });
}

// --- multi-instance: what SpiffWorkflow reads (engine/workflow/checks.py refuses the Camunda
// `camunda:collection`): isSequential, loopDataInputRef / inputDataItem, loopDataOutputRef /
// outputDataItem (process variable names), loopCardinality, completionCondition.
function loopOf(element) { return getBusinessObject(element).get("loopCharacteristics"); }
function updateLoop(injector, element, properties) {
  injector.get("commandStack").execute("element.updateModdleProperties",
    { element, moddleElement: loopOf(element), properties });
}
function SequentialEntry(props) {
  const { element, id, options } = props;
  const injector = useService("injector");
  return SelectEntry({
    element, id, label: options.t("miMode"),
    getValue: () => (loopOf(element).get("isSequential") ? "sequential" : "parallel"),
    setValue: (value) => updateLoop(injector, element, { isSequential: value === "sequential" }),
    getOptions: () => [{ value: "parallel", label: options.t("miParallel") },
                       { value: "sequential", label: options.t("miSequential") }],
  });
}
// A variable reference: the engine reads the referenced id as the name of a process variable
// (designer-modeler.js keeps such references on import).
function VariableEntry(props) {
  const { element, id, name, options } = props;
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  const item = name === "inputDataItem" || name === "outputDataItem";
  return TextFieldEntry({
    element, id, label: options.t("mi_" + name), debounce, description: options.t("mi_" + name + "Hint"),
    validate: (value) => (value && !/^[A-Za-z][A-Za-z0-9_]*$/.test(value) ? options.t("miName") : null),
    getValue: () => { const ref = loopOf(element).get(name); return (ref && (ref.get("name") || ref.id)) || ""; },
    setValue: (value, error) => {
      if (error) return;
      const moddle = injector.get("moddle");
      const type = name === "outputDataItem" ? "bpmn:DataOutput" : "bpmn:DataInput";
      // The items are elements of their own (id and name); the collections only name a variable.
      const ref = !value ? undefined : item ? injector.get("bpmnFactory").create(type, { id: value, name: value })
        : moddle.create("bpmn:DataInput", { id: value });
      updateLoop(injector, element, { [name]: ref });
    },
  });
}
function LoopExpressionEntry(props) {
  const { element, name, options } = props;
  const injector = useService("injector");
  return jsx(CheckedEntry, {
    ...props, kind: name, label: options.t("mi_" + name), description: options.t("mi_" + name + "Hint"),
    getValue: () => { const e = loopOf(element).get(name); return (e && e.get("body")) || ""; },
    setValue: (value) => updateLoop(injector, element, {
      [name]: value ? injector.get("bpmnFactory").create("bpmn:FormalExpression", { body: value }) : undefined }),
  });
}

// --- the provider: after the built-in groups and designer-modeler.js's own
function EditorsProvider(propertiesPanel, options) {
  this.getGroups = (element) => (groups) => {
    const out = groups.slice();
    const add = (id, label, entries) => out.push({ id, label: options.t(label), component: Group, entries });
    if (is(element, "bpmn:SequenceFlow")) {
      add("cluedesk-condition", "conditionGroup", [
        { id: "condition", element, options, component: ConditionEntry, isEdited: isTextAreaEntryEdited }]);
    }
    const timer = out.find((g) => g.id === "timer");
    if (timer) {
      timer.entries = timer.entries.map((e) => (/timerEventDefinitionValue$/.test(e.id)
        ? { ...e, element, options, component: TimerValueEntry, isEdited: isTextAreaEntryEdited } : e));
    }
    if (is(element, "bpmn:ScriptTask")) {
      add("cluedesk-script", "scriptGroup", [
        { id: "script", element, options, component: ScriptEntry, isEdited: isTextAreaEntryEdited }]);
    }
    if (is(element, "bpmn:CallActivity")) {
      add("cluedesk-call", "callGroup", [
        { id: "calledElement", element, options, component: CalledElementEntry, isEdited: isSelectEntryEdited }]);
    }
    const loop = is(element, "bpmn:Activity") && loopOf(element);
    if (loop && is(loop, "bpmn:MultiInstanceLoopCharacteristics")) {
      const at = out.findIndex((g) => g.id === "multiInstance");
      const group = { id: "multiInstance", label: options.t("miGroup"), component: Group, entries: [
        { id: "miSequential", element, options, component: SequentialEntry, isEdited: isSelectEntryEdited },
        ...["loopDataInputRef", "inputDataItem", "loopDataOutputRef", "outputDataItem"].map((name) => (
          { id: "mi-" + name, name, element, options, component: VariableEntry, isEdited: isTextFieldEntryEdited })),
        ...["loopCardinality", "completionCondition"].map((name) => (
          { id: name, name, element, options, component: LoopExpressionEntry, isEdited: isTextAreaEntryEdited })),
      ] };
      if (at >= 0) out[at] = group; else out.push(group);
    }
    return out;
  };
  propertiesPanel.registerProvider(300, this);
}
EditorsProvider.$inject = ["propertiesPanel", "config.cluedesk"];

export const EditorsModule = { __init__: ["cluedeskEditors"], cluedeskEditors: ["type", EditorsProvider] };
