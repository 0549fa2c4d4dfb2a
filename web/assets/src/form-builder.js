// The form builder of the designer's properties panel: a user task's (or a start event's) form as
// `camunda:formData`, the format the engine reads (API.md "Forms"):
//   <camunda:formField id label type defaultValue>
//     <camunda:value id name/>                                  (enum, multi_enum)
//     <camunda:validation><camunda:constraint name config/>     (required, minlength, maxlength,
//                                                                min, max, pattern, readonly)
//     <camunda:properties><camunda:property id="help" value/>   (help text)
//                         <camunda:property id="show_when" value="other_field=v1|v2"/>
// Group "表单": the fields, added, removed, moved and edited; every edit is one command of the
// modeler's command stack (one undo each). Group "表单预览": the form drawn by the server with the
// task page's own field template (POST /designer/form-preview, the formData element as XML),
// redrawn a moment after each edit.
import { CheckboxEntry, Group, ListGroup, SelectEntry, TextAreaEntry, TextFieldEntry,
         isCheckboxEntryEdited, isSelectEntryEdited, isTextAreaEntryEdited,
         isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { useEffect, useRef } from "@bpmn-io/properties-panel/preact/hooks";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

export const FIELD_TYPES = ["string", "textarea", "long", "double", "date", "datetime", "boolean",
                            "enum", "multi_enum", "unit", "person", "file"];
const CHOICE_TYPES = ["enum", "multi_enum"];
const TEXT_TYPES = ["string", "textarea"];
const RANGE_TYPES = ["long", "double"];
const FIELD_ID = /^[A-Za-z_][A-Za-z0-9_]*$/;

// --- reading the model
function formDataOf(bo) {
  const ext = bo.get("extensionElements");
  return ext && ext.get("values").find((v) => is(v, "camunda:FormData"));
}
function fieldsOf(bo) {
  const formData = formDataOf(bo);
  return formData ? formData.get("fields") : [];
}
function constraintOf(field, name) {
  const validation = field.get("validation");
  return validation && validation.get("constraints").find((c) => c.name === name);
}
function propertyOf(field, id) {
  const properties = field.get("properties");
  return properties && properties.get("values").find((p) => p.id === id);
}

// --- changing it: the commands of one edit, run as one (one undo)
function edit(element, injector) {
  const commands = [];
  const moddle = injector.get("moddle");
  return {
    create(type, attrs, parent) {
      const made = moddle.create(type, attrs);
      made.$parent = parent;
      return made;
    },
    set(moddleElement, properties) {
      if (Object.keys(properties).every((k) => moddleElement.get(k) === properties[k])) return;
      commands.push({ cmd: "element.updateModdleProperties",
                      context: { element, moddleElement, properties } });
    },
    run() {
      if (commands.length) {
        injector.get("commandStack").execute("properties-panel.multi-command-executor", commands);
      }
    },
  };
}
function ensureFormData(change, bo) {
  let ext = bo.get("extensionElements");
  if (!ext) {
    ext = change.create("bpmn:ExtensionElements", { values: [] }, bo);
    change.set(bo, { extensionElements: ext });
  }
  let formData = ext.get("values").find((v) => is(v, "camunda:FormData"));
  if (!formData) {
    formData = change.create("camunda:FormData", { fields: [] }, ext);
    change.set(ext, { values: ext.get("values").concat([formData]) });
  }
  return formData;
}
// A constraint set (config a string, or null for one without config: required, readonly) or
// removed (config undefined).
function setConstraint(change, field, name, config) {
  let validation = field.get("validation");
  const list = validation ? validation.get("constraints") : [];
  const found = list.find((c) => c.name === name);
  if (config === undefined) {
    if (!found) return;
    const rest = list.filter((c) => c !== found);
    if (rest.length) change.set(validation, { constraints: rest });
    else change.set(field, { validation: undefined });
    return;
  }
  if (found) {
    if (config !== null) change.set(found, { config });
    return;
  }
  if (!validation) {
    validation = change.create("camunda:Validation", { constraints: [] }, field);
    change.set(field, { validation });
  }
  const attrs = config === null ? { name } : { name, config };
  change.set(validation, { constraints: list.concat([change.create("camunda:Constraint", attrs,
                                                                    validation)]) });
}
function setFieldProperty(change, field, id, value) {
  let properties = field.get("properties");
  const list = properties ? properties.get("values") : [];
  const found = list.find((p) => p.id === id);
  if (!value) {
    if (!found) return;
    const rest = list.filter((p) => p !== found);
    if (rest.length) change.set(properties, { values: rest });
    else change.set(field, { properties: undefined });
    return;
  }
  if (found) { change.set(found, { value }); return; }
  if (!properties) {
    properties = change.create("camunda:Properties", { values: [] }, field);
    change.set(field, { properties });
  }
  change.set(properties, { values: list.concat([change.create("camunda:Property", { id, value },
                                                              properties)]) });
}

// A field id not used by another field of the form: `wanted` (made of the label's letters) or
// field_<n>.
function freeId(fields, wanted, except) {
  const taken = new Set(fields.filter((f) => f !== except).map((f) => f.id));
  const base = (wanted || "").toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^[_0-9]+|_+$/g, "");
  if (base && !taken.has(base)) return base;
  for (let n = 1; ; n += 1) {
    const id = (base || "field") + "_" + n;
    if (!taken.has(id)) return id;
  }
}

// --- a field's entries
function FieldText(props) {
  const { element, id, field, name, label, description, options, validate } = props;
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  // An emptied id input stays empty while the id made from the label is kept: shown greyed.
  const placeholder = name === "id"
    ? freeId(fieldsOf(getBusinessObject(element)), field.label, field) : undefined;
  return TextFieldEntry({
    element, id, label: options.t(label || name), description, debounce, validate, placeholder,
    getValue: () => field.get(name) || "",
    setValue: (value, error) => {
      if (error) return;
      const change = edit(element, injector);
      const fields = fieldsOf(getBusinessObject(element));
      if (name === "label") {
        // The id follows the label while it is the one made from the label.
        const made = freeId(fields, field.label, field);
        const changes = { label: value || undefined };
        if (!field.id || field.id === made || /^field_\d+$/.test(field.id)) {
          changes.id = freeId(fields, value, field);
        }
        change.set(field, changes);
      } else if (name === "id") {
        change.set(field, { id: value || freeId(fields, field.label, field) });
      } else {
        change.set(field, { [name]: value || undefined });
      }
      change.run();
    },
  });
}
function validateId(element, field, options) {
  return (value) => {
    if (!value) return null;  // made from the label
    if (!FIELD_ID.test(value)) return options.t("fieldIdInvalid");
    return fieldsOf(getBusinessObject(element)).some((f) => f !== field && f.id === value)
      ? options.t("fieldIdTaken") : null;
  };
}
function FieldType(props) {
  const { element, id, field, options } = props;
  const injector = useService("injector");
  return SelectEntry({
    element, id, label: options.t("fieldType"),
    getValue: () => field.type || "string",
    setValue: (value) => {
      const change = edit(element, injector);
      const changes = { type: value };
      if (!CHOICE_TYPES.includes(value) && field.get("values").length) changes.values = [];
      change.set(field, changes);
      change.run();
    },
    getOptions: () => FIELD_TYPES.map((type) => ({ value: type, label: options.t("type." + type) })),
  });
}
function FieldFlag(props) {
  const { element, id, field, name, options } = props;
  const injector = useService("injector");
  return CheckboxEntry({
    element, id, label: options.t(name),
    getValue: () => !!constraintOf(field, name),
    setValue: (value) => {
      const change = edit(element, injector);
      setConstraint(change, field, name, value ? null : undefined);
      change.run();
    },
  });
}
function FieldConstraint(props) {
  const { element, id, field, name, options } = props;
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  return TextFieldEntry({
    element, id, label: options.t(name), debounce,
    getValue: () => (constraintOf(field, name) || {}).config || "",
    setValue: (value) => {
      const change = edit(element, injector);
      setConstraint(change, field, name, value || undefined);
      change.run();
    },
  });
}
function FieldChoices(props) {
  const { element, id, field, options } = props;
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  return TextAreaEntry({
    element, id, label: options.t("choices"), description: options.t("choicesHint"), debounce,
    rows: 3,
    getValue: () => field.get("values").map((v) => (v.name && v.name !== v.id ? v.id + "=" + v.name
                                                                               : v.id)).join("\n"),
    setValue: (text) => {
      const change = edit(element, injector);
      const values = (text || "").split("\n").map((line) => line.trim()).filter(Boolean)
        .map((line) => {
          const at = line.indexOf("=");
          const code = (at > 0 ? line.slice(0, at) : line).trim();
          const name = (at > 0 ? line.slice(at + 1) : line).trim();
          return change.create("camunda:Value", { id: code, name: name || code }, field);
        });
      change.set(field, { values });
      change.run();
    },
  });
}
function FieldHelp(props) {
  const { element, id, field, options } = props;
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  return TextAreaEntry({
    element, id, label: options.t("help"), debounce, rows: 2,
    getValue: () => (propertyOf(field, "help") || {}).value || "",
    setValue: (value) => {
      const change = edit(element, injector);
      setFieldProperty(change, field, "help", value);
      change.run();
    },
  });
}
// Conditional visibility: `show_when` = "other_field=v1|v2"; the other field is picked, its values
// typed (a choice field's codes, true / false of a yes / no field).
function showWhen(field) {
  const text = (propertyOf(field, "show_when") || {}).value || "";
  const at = text.indexOf("=");
  return at > 0 ? [text.slice(0, at), text.slice(at + 1)] : [text, ""];
}
function FieldShowWhen(props) {
  const { element, id, field, options } = props;
  const injector = useService("injector");
  const set = (other, values) => {
    const change = edit(element, injector);
    setFieldProperty(change, field, "show_when", other ? other + "=" + values : "");
    change.run();
  };
  return SelectEntry({
    element, id, label: options.t("showWhen"),
    getValue: () => showWhen(field)[0],
    setValue: (other) => set(other, showWhen(field)[1]),
    getOptions: () => [{ value: "", label: options.t("showAlways") }].concat(
      fieldsOf(getBusinessObject(element)).filter((f) => f !== field && f.id)
        .map((f) => ({ value: f.id, label: (f.label || f.id) + " · " + f.id }))),
  });
}
function FieldShowWhenValues(props) {
  const { element, id, field, options } = props;
  const injector = useService("injector");
  const debounce = useService("debounceInput");
  const [other] = showWhen(field);
  const target = fieldsOf(getBusinessObject(element)).find((f) => f.id === other);
  const codes = !target ? [] : target.type === "boolean" ? ["true", "false"]
    : target.get("values").map((v) => v.id);
  return TextFieldEntry({
    element, id, label: options.t("showWhenValues"), debounce,
    description: codes.length ? codes.join(" | ") : undefined,
    getValue: () => showWhen(field)[1],
    setValue: (values) => {
      const change = edit(element, injector);
      setFieldProperty(change, field, "show_when", other + "=" + (values || ""));
      change.run();
    },
  });
}
function FieldMove(props) {
  const { element, id, field, options } = props;
  const injector = useService("injector");
  const fields = fieldsOf(getBusinessObject(element));
  const at = fields.indexOf(field);
  const move = (by) => {
    const order = fields.slice();
    order.splice(at, 1);
    order.splice(at + by, 0, field);
    const change = edit(element, injector);
    change.set(formDataOf(getBusinessObject(element)), { fields: order });
    change.run();
  };
  const button = (by, name, disabled) => h("button", {
    type: "button", class: "cluedesk-form-move", disabled, "data-testid": id + "-" + name,
    onClick: () => move(by) }, options.t(name));
  return h("div", { class: "bio-properties-panel-entry cluedesk-form-moves", "data-entry-id": id },
           button(-1, "moveUp", at <= 0), button(1, "moveDown", at >= fields.length - 1));
}

function fieldEntries(element, field, index, options) {
  const key = "form-field-" + index;
  const type = field.type || "string";
  const entry = (suffix, component, isEdited, extra) => (
    { id: key + "-" + suffix, element, field, options, component, isEdited, ...extra });
  const entries = [
    entry("label", FieldText, isTextFieldEntryEdited, { name: "label", label: "fieldLabel" }),
    entry("id", FieldText, isTextFieldEntryEdited, {
      name: "id", label: "fieldId", description: options.t("fieldIdHint"),
      validate: validateId(element, field, options) }),
    entry("type", FieldType, isSelectEntryEdited),
    entry("required", FieldFlag, isCheckboxEntryEdited, { name: "required" }),
    entry("readonly", FieldFlag, isCheckboxEntryEdited, { name: "readonly" }),
  ];
  if (CHOICE_TYPES.includes(type)) entries.push(entry("choices", FieldChoices, isTextAreaEntryEdited));
  entries.push(entry("default", FieldText, isTextFieldEntryEdited,
                     { name: "defaultValue", label: "defaultValue" }));
  entries.push(entry("help", FieldHelp, isTextAreaEntryEdited));
  if (TEXT_TYPES.includes(type)) {
    ["minlength", "maxlength", "pattern"].forEach((name) => entries.push(
      entry(name, FieldConstraint, isTextFieldEntryEdited, { name })));
  }
  if (RANGE_TYPES.includes(type)) {
    ["min", "max"].forEach((name) => entries.push(
      entry(name, FieldConstraint, isTextFieldEntryEdited, { name })));
  }
  entries.push(entry("showWhen", FieldShowWhen, isSelectEntryEdited));
  if (showWhen(field)[0]) entries.push(entry("showWhenValues", FieldShowWhenValues, isTextFieldEntryEdited));
  entries.push(entry("move", FieldMove));
  return entries;
}

// --- the preview: the server draws the formData element with the task page's template
function FormPreview(props) {
  const { element, id } = props;
  const eventBus = useService("eventBus");
  const moddle = useService("moddle");
  const box = useRef(null);
  useEffect(() => {
    const holder = document.querySelector("[data-form-preview]");
    const url = holder && holder.dataset.formPreview;
    let timer = null;
    let asked = 0;
    let live = true;
    const draw = async () => {
      const mine = ++asked;
      const formData = formDataOf(getBusinessObject(element));
      const xml = formData && formData.get("fields").length ? (await moddle.toXML(formData)).xml : "";
      const response = await fetch(url, {
        method: "POST", body: xml, credentials: "same-origin",
        headers: { "Content-Type": "application/xml", "X-CSRFToken": window.cluedesk.csrf() } });
      const html = await response.text();
      if (!live || mine !== asked || !box.current) return;
      box.current.innerHTML = html;  // a refused one: the parser's problems, in words
      // The task page's scripts treat it as content htmx has swapped in: forms.js hides the
      // conditional fields whose answer is not given, limits.js counts the characters.
      const form = box.current.querySelector("form.task-form");
      ["htmx:load", "htmx:afterSettle"].forEach((name) => form && form.dispatchEvent(
        new CustomEvent(name, { bubbles: true })));
      box.current.setAttribute("data-state", response.ok ? "drawn" : "failed");
      box.current.setAttribute("data-drawn", String(mine));
    };
    const later = () => {
      clearTimeout(timer);
      timer = setTimeout(() => draw().catch(() => { /* the next edit draws again */ }), 400);
    };
    if (url) {
      later();
      // Before the page's own listeners: an async one (designer.js, keeping unsaved changes)
      // returns a promise, and diagram-js stops an event at the first listener that returns.
      eventBus.on("commandStack.changed", 2000, later);
    }
    return () => { live = false; clearTimeout(timer); eventBus.off("commandStack.changed", later); };
  }, [element]);
  // The preview is a form of its own: nothing in it is sent.
  return h("div", { class: "cluedesk-form-preview", "data-entry-id": id, "data-testid": "form-preview",
                    ref: box, onSubmit: (event) => event.preventDefault() });
}

// --- the provider: the two groups after "General", for user tasks and start events
function FormBuilderProvider(propertiesPanel, injector, options) {
  const translate = injector.get("translate");  // the list's own words (add, remove, toggle)
  this.getGroups = (element) => (groups) => {
    if (!(is(element, "bpmn:UserTask") || is(element, "bpmn:StartEvent"))) return groups;
    const bo = getBusinessObject(element);
    const fields = fieldsOf(bo);
    const form = {
      id: "cluedesk-form", label: options.t("formGroup"), component: ListGroup, element,
      shouldOpen: true, translate,
      add: (event) => {
        event.stopPropagation();
        const change = edit(element, injector);
        const formData = ensureFormData(change, bo);
        const field = change.create("camunda:FormField",
                                    { id: freeId(fields, ""), type: "string" }, formData);
        change.set(formData, { fields: formData.get("fields").concat([field]) });
        change.run();
      },
      items: fields.map((field, index) => ({
        id: "form-field-" + index, label: field.label || field.id || options.t("newField"),
        translate,
        entries: fieldEntries(element, field, index, options),
        autoFocusEntry: "form-field-" + index + "-label",
        remove: (event) => {
          event.stopPropagation();
          const change = edit(element, injector);
          const formData = formDataOf(bo);
          const rest = formData.get("fields").filter((f) => f !== field);
          if (rest.length) change.set(formData, { fields: rest });
          else {
            const ext = bo.get("extensionElements");
            change.set(ext, { values: ext.get("values").filter((v) => v !== formData) });
          }
          change.run();
        },
      })),
    };
    const preview = {
      id: "cluedesk-form-preview", label: options.t("formPreviewGroup"), component: Group,
      shouldOpen: true, translate,
      entries: [{ id: "form-preview", element, component: FormPreview }],
    };
    const out = groups.slice();
    const after = out.findIndex((g) => g.id === "general") + 1;
    out.splice(after, 0, form, ...(fields.length ? [preview] : []));
    return out;
  };
  propertiesPanel.registerProvider(300, this);
}
FormBuilderProvider.$inject = ["propertiesPanel", "injector", "config.cluedesk"];

export const FormBuilderModule = {
  __init__: ["cluedeskFormBuilder"],
  cluedeskFormBuilder: ["type", FormBuilderProvider],
};
