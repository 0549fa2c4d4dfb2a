// Intake form: anonymous reports hide the reporter fields, more accused persons can be added,
// and likely repeats are checked while typing: 600 ms after the last change to who or what,
// one request (htmx, triggered on #repeat-suggestions) brings the suggestions.
(function () {
  "use strict";
  const WAIT_MS = 600;
  let timer = null;

  function form() { return document.getElementById("intake-form"); }

  function worthChecking(f) {
    const content = f.elements.content.value.trim();
    const names = Array.from(f.querySelectorAll("input[name=accused_name]")).some((i) => i.value.trim());
    return content.length >= 4 || names;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const f = form();
      if (f && worthChecking(f)) window.htmx.trigger("#repeat-suggestions", "check");
    }, WAIT_MS);
  }

  function syncReporter() {
    const f = form();
    if (!f) return;
    const anonymous = f.elements.anonymous.checked;
    const box = f.querySelector(".reporter-fields");
    box.hidden = anonymous;
    box.querySelectorAll("input").forEach((input) => { input.disabled = anonymous; });
  }

  document.addEventListener("input", (event) => {
    if (event.target.closest("#intake-form [data-repeat]")) schedule();
  });
  document.addEventListener("change", (event) => {
    if (event.target.matches("#intake-form select[data-repeat]")) schedule();
    if (event.target.matches("#intake-form [name=anonymous]")) syncReporter();
  });
  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-add-accused]")) return;
    const rows = document.getElementById("accused-rows");
    const copy = rows.lastElementChild.cloneNode(true);
    copy.querySelectorAll("input").forEach((input) => { input.value = ""; });
    copy.querySelectorAll(".field-error").forEach((e) => e.remove());
    rows.appendChild(copy);
  });
  // Saving makes a pending check pointless: the save is the action's one request.
  document.addEventListener("submit", (event) => {
    if (event.target.id === "intake-form") clearTimeout(timer);
  }, true);
  // The form comes back after a refused save: keep the reporter fields in step.
  document.addEventListener("htmx:afterSettle", syncReporter);
  syncReporter();
})();
