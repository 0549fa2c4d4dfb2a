// The designer's modeler: bpmn-js with the properties panel (its built-in BPMN groups) and
// cluedesk's own groups: a gateway's default flow, and what the engine reads
// on a user task (camunda:properties `action`, `deadline`, `document`; the assignment
// attributes) and on a lane (camunda:properties `role` and one of `unit_from`, `user_from`,
// `unit`: kept with the version when it is deployed, API.md "Authority"); the editors of what
// the engine evaluates (conditions, timers, scripts, multi-instance, call targets) are editors.js. Bundled by esbuild in `make assets` into web/static/vendor/designer-modeler.js;
// the page (web/static/designer.js) calls window.CluedeskModeler.create(...).
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, useService }
  from "bpmn-js-properties-panel";
import { Group, SelectEntry, TextFieldEntry, isSelectEntryEdited,
         isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";
import camundaModdle from "./camunda-moddle.json";
import { FormBuilderModule } from "./form-builder.js";
import { EditorsModule } from "./editors.js";

const DOMAIN_PROPERTIES = ["action", "deadline", "document"];

// --- camunda:properties on an element (undoable: every change is a command)
function propertiesOf(bo) {
  const ext = bo.get("extensionElements");
  return ext && ext.get("values").find((v) => is(v, "camunda:Properties"));
}
function propertyValue(element, name) {
  const props = propertiesOf(getBusinessObject(element));
  const found = props && props.get("values").find((p) => p.name === name);
  return found ? found.value || "" : "";
}
function setProperty(element, name, value, injector) {
  const bpmnFactory = injector.get("bpmnFactory");
  const commandStack = injector.get("commandStack");
  const bo = getBusinessObject(element);
  const update = (moddleElement, properties) => commandStack.execute(
    "element.updateModdleProperties", { element, moddleElement, properties });
  let ext = bo.get("extensionElements");
  let props = propertiesOf(bo);
  let found = props && props.get("values").find((p) => p.name === name);
  if (!value) {
    if (found) update(props, { values: props.get("values").filter((p) => p !== found) });
    return;
  }
  if (found) { update(found, { value }); return; }
  if (!ext) {
    ext = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = bo;
    update(bo, { extensionElements: ext });
  }
  if (!props) {
    props = bpmnFactory.create("camunda:Properties", { values: [] });
    props.$parent = ext;
    update(ext, { values: ext.get("values").concat([props]) });
  }
  found = bpmnFactory.create("camunda:Property", { name, value });
  found.$parent = props;
  update(props, { values: props.get("values").concat([found]) });
}

// --- entries
function DomainEntry(props) {
  const { element, id, name, options } = props;
  const injector = useService("injector");
  const chosen = options.choices[name + "s"] || [];
  const current = propertyValue(element, name);
  const item = chosen.find((c) => c.key === current);
  // A step may name several documents ("a, b"): known when every one of them is.
  const parts = current.split(",").map((p) => p.trim()).filter(Boolean);
  const several = parts.length > 1 ? parts.map((p) => chosen.find((c) => c.key === p)) : [];
  const allKnown = several.length > 0 && several.every(Boolean);
  return SelectEntry({
    element, id, label: options.t(name),
    description: item ? item.description
      : allKnown ? several.map((c) => c.label).join(" + ")
      : (current ? options.t("unknown") : ""),
    getValue: () => current,
    setValue: (value) => setProperty(element, name, value, injector),
    getOptions: () => [{ value: "", label: "—" }].concat(
      (current && !item ? [{ value: current,
        label: allKnown ? several.map((c) => c.label).join(" + ") : current }] : []),
      chosen.map((c) => ({ value: c.key, label: c.label }))),
  });
}

// A lane's unit rule: one of `unit_from`, `user_from` and `unit` (choosing one clears the others).
const UNIT_RULES = ["unit_from", "user_from", "unit"];
function UnitRuleEntry(props) {
  const { element, id, options } = props;
  const injector = useService("injector");
  const chosen = options.choices.unit_rules || [];
  const kind = UNIT_RULES.find((name) => propertyValue(element, name));
  const current = kind ? kind + ":" + propertyValue(element, kind) : "";
  const item = chosen.find((c) => c.key === current);
  return SelectEntry({
    element, id, label: options.t("unitRule"),
    description: item ? item.description : (current ? options.t("unknown") : options.t("laneHint")),
    getValue: () => current,
    setValue: (value) => {
      const at = value.indexOf(":");
      const [name, path] = at > 0 ? [value.slice(0, at), value.slice(at + 1)] : ["", ""];
      UNIT_RULES.filter((other) => other !== name && propertyValue(element, other))
        .forEach((other) => setProperty(element, other, "", injector));
      if (name) setProperty(element, name, path, injector);
    },
    getOptions: () => [{ value: "", label: "—" }].concat(
      (current && !item ? [{ value: current, label: current }] : []),
      chosen.map((c) => ({ value: c.key, label: c.label }))),
  });
}

function AttributeEntry(props) {
  const { element, id, name, options } = props;
  const modeling = useService("modeling");
  const debounce = useService("debounceInput");
  return TextFieldEntry({
    element, id, label: options.t(name), debounce,
    getValue: () => getBusinessObject(element).get("camunda:" + name) || "",
    setValue: (value) => modeling.updateProperties(element, { ["camunda:" + name]: value || undefined }),
  });
}

function DefaultFlowEntry(props) {
  const { element, id, options } = props;
  const modeling = useService("modeling");
  const elementRegistry = useService("elementRegistry");
  const bo = getBusinessObject(element);
  return SelectEntry({
    element, id, label: options.t("defaultFlow"),
    getValue: () => (bo.get("default") ? bo.get("default").id : ""),
    setValue: (value) => {
      const flow = value && elementRegistry.get(value);
      modeling.updateProperties(element, { default: flow ? flow.businessObject : undefined });
    },
    getOptions: () => [{ value: "", label: "—" }].concat((bo.get("outgoing") || []).map((f) => ({
      value: f.id, label: (f.name || f.id) + " → " + ((f.targetRef && (f.targetRef.name || f.targetRef.id)) || ""),
    }))),
  });
}

// --- the provider: cluedesk's groups after the built-in ones
function CluedeskProvider(propertiesPanel, options) {
  this.getGroups = (element) => (groups) => {
    const out = groups.slice();
    const group = (id, label, entries) => out.push({ id, label: options.t(label), component: Group, entries });
    if (is(element, "bpmn:ExclusiveGateway") || is(element, "bpmn:InclusiveGateway") ||
        is(element, "bpmn:ComplexGateway")) {
      group("cluedesk-default", "defaultFlow", [
        { id: "defaultFlow", element, options, component: DefaultFlowEntry, isEdited: isSelectEntryEdited }]);
    }
    if (is(element, "bpmn:UserTask") || is(element, "bpmn:ManualTask")) {
      group("cluedesk-domain", "domainGroup", DOMAIN_PROPERTIES.map((name) => (
        { id: "cluedesk-" + name, name, element, options, component: DomainEntry,
          isEdited: isSelectEntryEdited })));
    }
    if (is(element, "bpmn:Lane")) {
      group("cluedesk-lane", "laneGroup", [
        { id: "cluedesk-role", name: "role", element, options, component: DomainEntry,
          isEdited: isSelectEntryEdited },
        { id: "cluedesk-unitRule", element, options, component: UnitRuleEntry,
          isEdited: isSelectEntryEdited }]);
    }
    if (is(element, "bpmn:UserTask")) {
      group("cluedesk-assignment", "assignmentGroup", ["assignee", "candidateUsers", "candidateGroups"]
        .map((name) => ({ id: "cluedesk-" + name, name, element, options, component: AttributeEntry,
                          isEdited: isTextFieldEntryEdited })));
    }
    return out;
  };
  propertiesPanel.registerProvider(400, this);
}
CluedeskProvider.$inject = ["propertiesPanel", "config.cluedesk"];

// Labels of the panel and the modeler in the page's language: `dictionary` maps the English
// text to its translation (the page renders it from the translation catalogs).
function translateWith(dictionary) {
  return function translate(template, replacements) {
    const text = dictionary[template] || template;
    return text.replace(/{([^}]+)}/g, (_, key) => (replacements || {})[key] || "{" + key + "}");
  };
}

// SpiffWorkflow reads a multi-instance's loopDataInputRef / loopDataOutputRef as the name of a
// process variable, which is no element id: the modeler would drop the unresolved reference on
// import. Kept as a reference to a stand-in with that id, so a saved file still names it.
function KeepVariableReferences(eventBus, moddle) {
  eventBus.on("import.done", ({ warnings }) => (warnings || []).forEach((w) => {
    if (w.element && /loopData(In|Out)putRef$/.test(w.property || "") && w.value) {
      w.element.set(w.property, moddle.create("bpmn:DataInput", { id: w.value }));
    }
  }));
}
KeepVariableReferences.$inject = ["eventBus", "moddle"];

// `check(kind, text)`: the panel's check as you type (editors.js), answered by the page.
function create({ container, panel, dictionary, choices, labels, check }) {
  const options = { choices, check, t: (name) => labels[name] || name };
  const modeler = new Modeler({
    container,
    propertiesPanel: { parent: panel },
    cluedesk: options,
    additionalModules: [
      BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, FormBuilderModule,
      { __init__: ["cluedeskProvider"], cluedeskProvider: ["type", CluedeskProvider] },
      EditorsModule,
      { translate: ["value", translateWith(dictionary || {})] },
      { __init__: ["keepVariableReferences"], keepVariableReferences: ["type", KeepVariableReferences] },
    ],
    moddleExtensions: { camunda: camundaModdle },
  });
  modeler.get("commandStack").register("cluedesk.insertTemplate", new TemplateHandler(modeler, options));
  modeler.insertTemplate = (name) => insertTemplate(modeler, name, options);
  return modeler;
}

// --- element templates: configured shapes appended after the selected element (or, with
// nothing selected, after the diagram's last step that leads nowhere yet), with the modeler's
// own commands, run inside one command of their own so that one undo takes the whole template
// back. `options.t` names the new steps in the page's language.
const TEMPLATES = ["approval", "deadline", "notification", "member"];
function insertTemplate(modeler, name, options) {
  const context = { name, added: [] };
  modeler.get("commandStack").execute("cluedesk.insertTemplate", context);
  const last = context.added.filter((e) => !e.waypoints).pop();
  if (last) modeler.get("selection").select(last);
  return context.added.map((e) => e.id);
}
function TemplateHandler(modeler, options) {
  this.preExecute = (context) => { context.added = appendTemplate(modeler, context.name, options); };
}
function appendTemplate(modeler, name, options) {
  const modeling = modeler.get("modeling");
  const factory = modeler.get("elementFactory");
  const bpmnFactory = modeler.get("bpmnFactory");
  const injector = modeler.get("injector");
  const flowNode = (e) => is(e, "bpmn:FlowNode") && !e.labelTarget && !is(e, "bpmn:EndEvent");
  let source = modeler.get("selection").get().find(flowNode);
  if (!source) {
    const open = modeler.get("elementRegistry").filter((e) => flowNode(e) && !(e.outgoing || []).length);
    source = open.sort((a, b) => b.x - a.x)[0];
  }
  if (!source) return [];
  const after = (from, width) => ({ x: from.x + from.width + 80 + width / 2, y: from.y + from.height / 2 });
  const userTask = (from, label) => {
    const task = modeling.appendShape(from, factory.createShape({ type: "bpmn:UserTask" }), after(from, 100));
    modeling.updateProperties(task, { name: options.t(label) });
    // After a gateway with no default (the approval's): the way on is its default flow.
    if (is(from, "bpmn:ExclusiveGateway") && !getBusinessObject(from).get("default")) {
      modeling.updateProperties(from, { default: task.incoming[0].businessObject });
    }
    return task;
  };
  // The domain properties the template sets: named by /designer/choices `templates`.
  const preset = (task) => Object.entries((options.choices.templates || {})[name] || {})
    .forEach(([prop, key]) => setProperty(task, prop, key, injector));
  const added = [];
  if (name === "approval") {
    const task = userTask(source, "templateApprovalTask");
    const gateway = modeling.appendShape(task, factory.createShape({ type: "bpmn:ExclusiveGateway" }),
                                         after(task, 50));
    const back = modeling.connect(gateway, task, { type: "bpmn:SequenceFlow" });
    modeling.updateProperties(back, {
      name: options.t("templateSendBack"),
      conditionExpression: bpmnFactory.create("bpmn:FormalExpression", { body: "approved == False" }) });
    added.push(task, gateway, back);
  } else if (name === "deadline") {
    const task = userTask(source, "templateDeadlineTask");
    preset(task);
    added.push(task);
  } else if (name === "member") {
    // A joint review's member item: one parallel task per member unit (the process variable
    // `members`), each member's opinion collected into `opinions` (as bpmn/joint_review.bpmn).
    const task = userTask(source, "templateMemberTask");
    const moddle = modeler.get("moddle");
    const item = (id) => bpmnFactory.create("bpmn:DataInput", { id, name: id });
    modeling.updateProperties(task, { loopCharacteristics: bpmnFactory.create(
      "bpmn:MultiInstanceLoopCharacteristics", {
        loopDataInputRef: moddle.create("bpmn:DataInput", { id: "members" }),
        loopDataOutputRef: moddle.create("bpmn:DataInput", { id: "opinions" }),
        inputDataItem: item("member_unit"),
        outputDataItem: bpmnFactory.create("bpmn:DataOutput", { id: "opinion", name: "opinion" }) }) });
    preset(task);
    added.push(task);
  } else if (name === "notification") {
    const task = userTask(source, "templateNotificationTask");
    preset(task);
    added.push(task);
  }
  return added;
}

window.CluedeskModeler = { create, propertyValue, insertTemplate, TEMPLATES };
