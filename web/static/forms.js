// Task forms: a field with a `show_when` (data-show-field, data-show-values) is shown only while
// the field it names holds one of the values (a yes/no field: "true"/"false"; a multiple
// choice: any ticked value). The server applies the same rule on submit and drops hidden values.
(function () {
  "use strict";

  function valuesOf(form, name) {
    return Array.from(form.elements).filter((el) => el.name === name && !el.disabled).flatMap((el) => {
      if (el.type === "radio" || el.type === "checkbox") return el.checked ? [el.value] : [];
      return el.value ? [el.value] : [];
    });
  }

  function isShown(form, box, seen) {
    const name = box.dataset.showField;
    if (!name) return true;
    const source = form.querySelector(`.field[data-field="${CSS.escape(name)}"]`);
    if (!source || seen.has(name)) return false;
    // A field hidden in turn holds no value.
    if (!isShown(form, source, new Set([...seen, box.dataset.field]))) return false;
    const wanted = box.dataset.showValues.split("|");
    return valuesOf(form, name).some((v) => wanted.includes(v));
  }

  function sync(form) {
    form.querySelectorAll(".field[data-show-field]").forEach((box) => {
      box.hidden = !isShown(form, box, new Set());
    });
  }

  function syncAll(root) {
    if (root.matches && root.matches("form.task-form")) sync(root);
    root.querySelectorAll("form.task-form").forEach(sync);
  }

  document.addEventListener("change", (event) => {
    const form = event.target.closest && event.target.closest("form.task-form");
    if (form) sync(form);
  });
  document.addEventListener("input", (event) => {
    const form = event.target.closest && event.target.closest("form.task-form");
    if (form) sync(form);
  });
  document.addEventListener("DOMContentLoaded", () => syncAll(document));
  document.addEventListener("htmx:load", (event) => syncAll(event.target));
})();
