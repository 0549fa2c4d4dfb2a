// Inbox filters: choosing in a list filters at once (one request, the form's own htmx submit);
// typed search text is sent with Enter or the Filter button.
// Claim from the list: the chosen rows are claimed one request each, in turn, with a progress
// bar; each answer replaces its row (now held by the user), a refusal is named under the bar.
(function () {
  "use strict";
  document.addEventListener("change", (event) => {
    const select = event.target.closest("#inbox-filters select");
    if (select) select.form.requestSubmit();
    const all = event.target.closest("[data-pick-all]");
    if (all) document.querySelectorAll("#inbox input[name=claim]").forEach((box) => {
      box.checked = all.checked;
    });
    if (event.target.closest("#inbox input[name=claim], [data-pick-all]")) chosenChanged();
  });

  function chosenChanged() {
    const button = document.querySelector("[data-claim-chosen]");
    if (button) button.disabled = !document.querySelector("#inbox input[name=claim]:checked");
  }

  async function claimOne(box, url) {
    const body = new URLSearchParams({ version: box.dataset.version });
    const response = await fetch(url.replace("TASK", encodeURIComponent(box.value)), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": window.cluedesk.csrf(), "HX-Request": "true" },
    });
    const html = await response.text();
    const refused = response.headers.get("X-Cluedesk-Status");
    if (!response.ok || refused) {
      const holder = document.createElement("div");
      holder.innerHTML = html;
      const text = holder.textContent.replace(/\s+/g, " ").trim();
      return text || String(response.status);
    }
    const row = box.closest("tr");
    const tbody = document.createElement("tbody");
    tbody.innerHTML = html.trim();
    if (tbody.firstElementChild) row.replaceWith(tbody.firstElementChild);
    return null;
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-claim-chosen]");
    if (!button) return;
    const bulk = button.closest("[data-testid=bulk]");
    const boxes = Array.from(document.querySelectorAll("#inbox input[name=claim]:checked"));
    const bar = bulk.querySelector("progress");
    const status = bulk.querySelector("[role=status]");
    button.disabled = true;
    bar.hidden = false;
    bar.max = boxes.length;
    bar.value = 0;
    let claimed = 0;
    const failures = [];
    for (const box of boxes) {
      const caseNumber = box.closest("tr").dataset.case || box.value;
      let problem;
      try {
        problem = await claimOne(box, button.dataset.url);
      } catch (err) {
        problem = String(err);
      }
      if (problem) failures.push(caseNumber + "：" + problem);
      else claimed += 1;
      bar.value += 1;
      status.textContent = bulk.dataset.done.replace("{n}", claimed)
        .replace("{total}", boxes.length);
    }
    if (failures.length) status.textContent += " " + bulk.dataset.failed + " " + failures.join("；");
    chosenChanged();
  });
})();
