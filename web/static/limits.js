// Limited fields show their limit as a counter and never cut what is typed or pasted: the
// browser's maxlength (which silently drops the rest) becomes data-limit, a counter under the
// field says how many characters there are, and over the limit it turns red; the server
// refuses an over-long value with a message at the field.
(function () {
  "use strict";
  const zh = () => document.documentElement.lang !== "en";
  const words = (n, max) => {
    if (n > max) return zh() ? `已输入 ${n} 字，超出上限 ${max} 字 ${n - max} 字` :
      `${n} characters: ${n - max} over the limit of ${max}`;
    return zh() ? `${n} / ${max} 字` : `${n} / ${max} characters`;
  };

  function counterOf(field) {
    const named = field.getAttribute("aria-describedby");
    for (const id of (named || "").split(/\s+/)) {
      const found = id && document.getElementById(id);
      if (found && found.classList.contains("counter")) return found;
    }
    const counter = document.createElement("span");
    counter.className = "counter small muted";
    counter.id = (field.id || field.name || "field").replace(/[^\w-]/g, "-") + "-count" +
      Math.random().toString(36).slice(2, 7);
    counter.setAttribute("aria-live", "polite");
    counter.dataset.testid = "counter";
    field.insertAdjacentElement("afterend", counter);
    field.setAttribute("aria-describedby", ((named || "") + " " + counter.id).trim());
    return counter;
  }

  function show(field) {
    const max = Number(field.dataset.limit);
    const n = Array.from(field.value).length;
    const counter = counterOf(field);
    counter.textContent = words(n, max);
    counter.classList.toggle("over", n > max);
    field.classList.toggle("over-limit", n > max);
  }

  function prepare(root) {
    root.querySelectorAll("textarea[maxlength], input[maxlength], [data-limit]").forEach((field) => {
      if (field.type === "hidden" || field.type === "password") return;
      if (field.hasAttribute("maxlength")) {
        field.dataset.limit = field.getAttribute("maxlength");
        field.removeAttribute("maxlength");
      }
      show(field);
    });
  }

  document.addEventListener("DOMContentLoaded", () => prepare(document));
  document.addEventListener("htmx:afterSettle", () => prepare(document));
  document.addEventListener("input", (event) => {
    if (event.target.dataset && event.target.dataset.limit) show(event.target);
  });
})();
