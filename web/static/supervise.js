// Overdue board: select tasks and reassign them together. One request per task, sent one after
// the other, so the <progress> bar moves as each answer arrives and a refusal stops nothing else.
(function () {
  "use strict";
  const bulk = document.getElementById("bulk");
  const form = document.getElementById("bulk-form");
  if (!bulk || !form) return;
  const opener = bulk.querySelector("[data-testid=bulk-open]");

  function selected() {
    return Array.from(bulk.querySelectorAll("input[name=task]:checked")).map((box) => box.value);
  }
  function refresh() { opener.disabled = selected().length === 0; }

  bulk.addEventListener("change", (event) => {
    if (event.target.matches("[data-select-all]")) {
      event.target.closest("table").querySelectorAll("input[name=task]").forEach((box) => {
        box.checked = event.target.checked;
      });
    }
    refresh();
  });
  refresh();

  function message(html) {
    const holder = document.createElement("div");
    holder.innerHTML = html;
    const alert = holder.querySelector("[data-testid=error]");
    if (!alert) return holder.textContent.trim();
    alert.querySelectorAll("button").forEach((b) => b.remove());
    return alert.textContent.replace(/\s+/g, " ").trim();
  }

  async function reassign(id, assignee, reason) {
    const response = await fetch(form.dataset.url.replace("TASK", encodeURIComponent(id)), {
      method: "POST",
      credentials: "same-origin",
      // HX-Request: an expected refusal comes back 200 with X-Cluedesk-Status, like htmx actions.
      headers: { "X-CSRFToken": window.cluedesk.csrf(), "HX-Request": "true" },
      body: new URLSearchParams({ assignee: assignee, reason: reason, row: "board" }),
    });
    const text = await response.text();
    const row = document.getElementById("board-" + id);
    const refused = response.headers.get("X-Cluedesk-Status") || (response.ok ? null : String(response.status));
    if (!refused) {
      if (row) row.outerHTML = text;
      return true;
    }
    if (row) row.querySelector("[data-testid=row-status]").textContent = message(text);
    return false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ids = selected();
    const assignee = form.elements.assignee.value;
    const reason = form.elements.reason.value.trim();
    if (!ids.length || !assignee || !reason) return;
    const progress = document.getElementById("bulk-progress");
    const status = document.getElementById("bulk-status");
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    progress.max = ids.length;
    progress.value = 0;
    let ok = 0;
    let failed = 0;
    for (const id of ids) {
      try {
        if (await reassign(id, assignee, reason)) ok += 1; else failed += 1;
      } catch (err) {
        failed += 1;
      }
      progress.value = ok + failed;
      status.textContent = (ok + failed) + " / " + ids.length;
    }
    status.textContent = form.dataset.done.replace("{ok}", ok).replace("{failed}", failed);
    submit.disabled = false;
    refresh();
  });
})();
