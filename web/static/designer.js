// Process designer: the bpmn-js Modeler over the JSON API (session + CSRF header). Each action is
// one request: validate, deploy, open a version, diff, dry run / migrate, test-run steps.
(function () {
  "use strict";
  const root = document.getElementById("designer");
  if (!root) return;
  const API = root.dataset.api;
  const t = (name, values) => {
    let text = root.dataset["t" + name] || name;
    Object.entries(values || {}).forEach(([k, v]) => { text = text.replace("{" + k + "}", v); });
    return text;
  };
  const $ = (id) => document.getElementById(id);
  const EMPTY = '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" ' +
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" ' +
    'id="Definitions_new" targetNamespace="http://cluedesk.org/bpmn">' +
    '<bpmn:process id="new_process" isExecutable="true"><bpmn:startEvent id="start"/></bpmn:process>' +
    '<bpmndi:BPMNDiagram id="Diagram_new"><bpmndi:BPMNPlane id="Plane_new" bpmnElement="new_process">' +
    '<bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" width="36" height="36"/>' +
    '</bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>';

  // The pickers' choices (actions, deadline keys, documents, roles, unit rules) are filled in when they arrive;
  // the panel reads them each time it draws.
  const choices = { actions: [], deadlines: [], documents: [], roles: [], unit_rules: [], processes: [] };
  // The panel's check as you type (a condition, script, timer…): problems and a timer's preview.
  function check(kind, text) {
    return fetch(root.dataset.check, {
      method: "POST", credentials: "same-origin", body: JSON.stringify({ kind: kind, text: text }),
      headers: { "Content-Type": "application/json", "X-CSRFToken": window.cluedesk.csrf() },
    }).then((r) => (r.ok ? r.json() : null));
  }
  const modeler = window.CluedeskModeler.create({
    container: $("canvas"), panel: $("properties"), choices: choices, check: check,
    dictionary: JSON.parse(root.dataset.panelWords || "{}"),
    labels: JSON.parse(root.dataset.panelLabels || "{}"),
  });
  function loadChoices() {
    return fetch(root.dataset.choices, { credentials: "same-origin" }).then((r) => r.json()).then((found) => {
      Object.assign(choices, found);
      root.setAttribute("data-ready", "true");
    });
  }
  loadChoices();
  const state = { key: null, fileName: "diagram.bpmn", markers: [], testRun: null };
  root.modeler = modeler;  // for debugging from the console

  // An instant in the deployment's time zone, to the minute (as the `localtime` filter of the
  // server-rendered pages writes it).
  const clockFormat = new Intl.DateTimeFormat("sv-SE", {
    timeZone: root.dataset.tz || undefined, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false });
  function localTime(iso) { return iso ? clockFormat.format(new Date(iso)) : ""; }

  function status(message) { $("status").textContent = message; }

  async function call(method, path, body, type) {
    const headers = { "X-CSRFToken": window.cluedesk.csrf() };
    let payload = body;
    if (body !== undefined && type !== "xml") {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    } else if (type === "xml") {
      headers["Content-Type"] = "application/xml";
      headers["X-File-Name"] = state.fileName;
    }
    const response = await fetch(API + path, { method: method, headers: headers, body: payload,
                                               credentials: "same-origin" });
    const text = await response.text();
    let json = null;
    try { json = JSON.parse(text); } catch (e) { json = null; }
    if (!response.ok) {
      const message = json && json.error ? json.error.message : response.status;
      status(t("Failed", { s: message }));
      throw new Error(String(message));
    }
    return json === null ? text : json;
  }

  async function currentXml() { return (await modeler.saveXML({ format: true })).xml; }

  function clearMarkers() {
    const canvas = modeler.get("canvas");
    state.markers.forEach(([id, marker]) => canvas.removeMarker(id, marker));
    state.markers = [];
  }
  function mark(id, marker) {
    if (!id || !modeler.get("elementRegistry").get(id)) return;
    modeler.get("canvas").addMarker(id, marker);
    state.markers.push([id, marker]);
  }
  function select(id) {
    const element = id && modeler.get("elementRegistry").get(id);
    if (!element) return;
    modeler.get("selection").select(element);
    modeler.get("canvas").scrollToElement(element);
  }

  async function open(xml, fileName) {
    state.dirty = false;
    state.fileName = fileName || state.fileName;
    await modeler.importXML(xml);
    modeler.get("canvas").zoom("fit-viewport");
    state.markers = [];
    $("problems").innerHTML = "";
  }

  // --- definitions and versions
  // Who deployed a version: the user's name (and login), or who ran the command line.
  function deployer(v) {
    if (v.deployed_by_name) return v.deployed_by_name + " (" + v.deployed_by + ")";
    const login = /^cli(?::(.+))?$/.exec(v.deployed_by || "");
    return login ? t("CommandLine", { login: login[1] || "" }).replace(/\s*\(\)|（）/, "") : v.deployed_by;
  }
  async function loadVersions(key) {
    state.key = key;
    $("versions-key").textContent = key;
    $("migrate-key").textContent = key;
    const versions = await call("GET", "/process-definitions/" + encodeURIComponent(key) + "/versions");
    const rows = $("version-rows");
    rows.innerHTML = "";
    versions.forEach((v, i) => {
      const tr = document.createElement("tr");
      tr.dataset.testid = "version-" + v.version;
      tr.setAttribute("data-testid", "version-" + v.version);
      [("v" + v.version), localTime(v.deployed_at), deployer(v),
       v.comment + (v.running_instances ? " · " + t("Instances", { n: v.running_instances }) : "")]
        .forEach((text) => { const td = document.createElement("td"); td.textContent = text; tr.appendChild(td); });
      const actions = document.createElement("td");
      const openButton = document.createElement("button");
      openButton.type = "button"; openButton.className = "link"; openButton.textContent = t("Open");
      openButton.addEventListener("click", () => openVersion(key, v.version));
      actions.appendChild(openButton);
      if (i < versions.length - 1) {
        const diffButton = document.createElement("button");
        diffButton.type = "button"; diffButton.className = "link"; diffButton.textContent = t("Diff");
        diffButton.setAttribute("data-testid", "diff-" + v.version);
        diffButton.addEventListener("click", () => showDiff(key, versions[i + 1].version, v.version));
        actions.appendChild(diffButton);
      }
      tr.appendChild(actions);
      rows.appendChild(tr);
    });
    $("versions").hidden = false;
    $("migrate-version").value = versions.length ? versions[0].version : "";
    return versions;
  }
  async function openVersion(key, version) {
    const xml = await call("GET", "/process-definitions/" + encodeURIComponent(key) + "/versions/" + version + "/bpmn");
    await open(xml, key + ".bpmn");
    status(key + " v" + version);
  }
  $("definition-list").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-key]");
    if (!button) return;
    const versions = await loadVersions(button.dataset.key);
    if (versions.length) await openVersion(button.dataset.key, versions[0].version);
    await loadCases(button.dataset.key);
  });

  // --- file in and out
  $("new-diagram").addEventListener("click", () => open(EMPTY, "new_process.bpmn"));
  $("upload").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    await open(await file.text(), file.name);
    status(file.name);
  });
  $("download").addEventListener("click", async () => {
    const blob = new Blob([await currentXml()], { type: "application/xml" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = state.fileName;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });

  // --- undo, redo, find (the modeler's own commands; its keys work on the focused canvas)
  $("undo").addEventListener("click", () => modeler.get("commandStack").undo());
  $("redo").addEventListener("click", () => modeler.get("commandStack").redo());
  // (the search pad closes on any click that reaches the document: this one stops here)
  $("find").addEventListener("click", (event) => {
    event.stopPropagation();
    modeler.get("editorActions").trigger("find");
  });
  modeler.on("commandStack.changed", () => {
    $("undo").disabled = !modeler.get("commandStack").canUndo();
    $("redo").disabled = !modeler.get("commandStack").canRedo();
  });

  // --- element templates: the chosen one appended after the selected element
  $("templates").addEventListener("change", (event) => {
    const name = event.target.value;
    event.target.value = "";
    if (name) modeler.insertTemplate(name);
  });

  // --- validation and deploy
  function showProblems(result) {
    clearMarkers();
    const list = $("problems");
    list.innerHTML = "";
    const items = result.errors.map((p) => ["error", p]).concat(result.warnings.map((p) => ["warning", p]));
    if (!items.length) {
      const li = document.createElement("li"); li.textContent = t("NoProblems"); list.appendChild(li);
    }
    items.forEach(([severity, p]) => {
      const li = document.createElement("li");
      li.dataset.elementId = p.element_id || "";
      li.setAttribute("data-severity", severity);
      const badge = document.createElement("span");
      badge.className = "sev-" + severity;
      badge.textContent = t(severity === "error" ? "Error" : "Warning");
      li.appendChild(badge);
      li.appendChild(document.createTextNode(" " + (p.element_id ? "[" + p.element_id + "] " : "") +
        (p.line ? "(" + p.line + ") " : "") + p.message));
      li.addEventListener("click", () => select(p.element_id));
      list.appendChild(li);
      mark(p.element_id, "problem-" + severity);
    });
  }
  async function validate() {
    const result = await call("POST", "/process-definitions/validate", await currentXml(), "xml");
    showProblems(result);
    return result;
  }
  $("validate").addEventListener("click", validate);
  $("deploy").addEventListener("click", async () => {
    // One request: deploy validates again and answers warnings; errors were shown by Validate.
    const problems = $("problems").querySelectorAll("[data-severity=error]");
    if (problems.length) { status(t("FixErrors")); return; }
    const comment = encodeURIComponent($("comment").value || "");
    const results = await call("POST", "/process-definitions?comment=" + comment, await currentXml(), "xml");
    const first = results[0];
    showProblems({ errors: [], warnings: results.flatMap((r) => r.warnings) });
    status(t(first.created ? "Deployed" : "Unchanged", { v: first.version }));
    forget();
    state.key = first.key;
    loadChoices();  // a new process can now be called
    await loadVersions(first.key);
  });

  // --- diff: each element by its name and id, each changed attribute with its old and new value
  const fieldWords = JSON.parse(root.dataset.diffFields || "{}");
  function fieldLabel(field) {
    if (fieldWords[field]) return fieldWords[field];
    const dot = field.indexOf(".");
    const pattern = dot > 0 && fieldWords[field.slice(0, dot) + ".*"];
    return pattern ? pattern.replace("{name}", field.slice(dot + 1)) : field;
  }
  function quoted(value) { return value === null || value === undefined ? fieldWords.unset : "“" + value + "”"; }
  function elementWords(e) {
    return (e.name ? e.name + " (" + e.element_id + ", " + e.kind + ")" : e.element_id + " (" + e.kind + ")");
  }
  function listDiff(diff, title) {
    $("diff-title").textContent = title;
    const list = $("diff");
    list.innerHTML = "";
    [["added", "diff-added"], ["changed", "diff-changed"], ["removed", null]].forEach(([kind, marker]) => {
      diff[kind].forEach((e) => {
        const li = document.createElement("li");
        li.setAttribute("data-kind", kind);
        li.setAttribute("data-element-id", e.element_id);
        li.appendChild(document.createTextNode(t(kind.charAt(0).toUpperCase() + kind.slice(1)) + ": " + elementWords(e)));
        if (e.changes && e.changes.length) {
          const changes = document.createElement("ul");
          e.changes.forEach((c) => {
            const item = document.createElement("li");
            item.setAttribute("data-field", c.field);
            item.textContent = c.field === "other" ? fieldLabel("other") :
              fieldLabel(c.field) + ": " + quoted(c.old) + " → " + quoted(c.new);
            changes.appendChild(item);
          });
          li.appendChild(changes);
        }
        li.addEventListener("click", () => select(e.element_id));
        list.appendChild(li);
        if (marker) mark(e.element_id, marker);
      });
    });
    if (!list.children.length) {
      const li = document.createElement("li"); li.textContent = t("NothingChanged"); list.appendChild(li);
    }
    $("diff-panel").hidden = false;
    $("diff-panel").scrollIntoView({ block: "nearest" });
  }
  async function showDiff(key, from, to) {
    const diff = await call("GET", "/process-definitions/" + encodeURIComponent(key) + "/diff?from=" + from + "&to=" + to);
    const xml = await call("GET", "/process-definitions/" + encodeURIComponent(key) + "/versions/" + to + "/bpmn");
    await open(xml, key + ".bpmn");
    listDiff(diff, "v" + from + " → v" + to);
  }
  // The draft on the canvas against the newest deployed version of its process, before deploying.
  $("compare").addEventListener("click", async () => {
    const definitions = modeler.getDefinitions();
    const process = (definitions.rootElements || []).find((r) => r.$type === "bpmn:Process" && r.id === state.key) ||
      (definitions.rootElements || []).find((r) => r.$type === "bpmn:Process");
    const key = process && process.id;  // the draft's own process (a new diagram is not state.key's)
    const known = key && (await call("GET", "/process-definitions")).filter((d) => d.key === key);
    if (!known || !known.length) { status(t("NotDeployed")); return; }
    const latest = Math.max.apply(null, known.map((d) => d.version));
    const diff = await call("POST", "/process-definitions/" + encodeURIComponent(key) + "/diff?from=" + latest,
                            await currentXml(), "xml");
    clearMarkers();
    listDiff(diff, "v" + latest + " → " + t("Draft"));
  });

  // --- migration
  $("migrate-open").addEventListener("click", async () => {
    const box = $("migrate-instances");
    box.innerHTML = "";
    $("migrate-report").innerHTML = "";
    $("migrate-run").disabled = true;
    if (!state.key) return;
    const instances = await call("GET", "/process-definitions/" + encodeURIComponent(state.key) + "/instances");
    instances.forEach((i) => {
      const label = document.createElement("label");
      const box1 = document.createElement("input");
      box1.type = "checkbox"; box1.value = i.id; box1.checked = String(i.version) !== $("migrate-version").value;
      label.appendChild(box1);
      label.appendChild(document.createTextNode(" " + i.id.slice(0, 8) + " · v" + i.version + " · " + i.status));
      box.appendChild(label);
    });
  });
  function migrationBody(dryRun) {
    const mapping = {};
    $("migrate-mapping").value.split("\n").forEach((line) => {
      const [from, to] = line.split("=").map((s) => (s || "").trim());
      if (from && to) mapping[from] = to;
    });
    return { instance_ids: Array.from($("migrate-instances").querySelectorAll("input:checked")).map((b) => b.value),
             version: Number($("migrate-version").value), mapping: mapping, dry_run: dryRun };
  }
  function showReport(reports) {
    const list = $("migrate-report");
    list.innerHTML = "";
    reports.forEach((r) => {
      const li = document.createElement("li");
      li.setAttribute("data-status", r.status);
      const word = { would_migrate: t("Would"), migrated: t("Migrated"), refused: t("Refused") }[r.status];
      li.textContent = r.instance_id.slice(0, 8) + ": " + word +
        (r.missing.length ? " — " + t("Missing", { ids: r.missing.join(", ") }) : "") +
        (r.status === "refused" && !r.missing.length ? " — " + r.message : "");
      list.appendChild(li);
    });
    return reports;
  }
  $("migrate-dry").addEventListener("click", async () => {
    const reports = showReport(await call("POST", "/process-instances/migrate", migrationBody(true)));
    $("migrate-run").disabled = !reports.length || reports.some((r) => r.status !== "would_migrate");
  });
  $("migrate-run").addEventListener("click", async () => {
    showReport(await call("POST", "/process-instances/migrate", migrationBody(false)));
    $("migrate-run").disabled = true;
    await loadVersions(state.key);
  });

  // --- test-run: each step is drawn by the server (the task page's form fields and decision
  // buttons, the deadline rows, the process data); its `data-run` carries the diagram state.
  function processKey() {
    const definitions = modeler.getDefinitions();
    const process = (definitions.rootElements || []).find((r) => r.$type === "bpmn:Process" && r.isExecutable !== false);
    return process ? process.id : state.key;
  }
  async function page(method, url, body, headers) {
    const response = await fetch(url, { method: method, credentials: "same-origin", body: body,
      headers: Object.assign({ "X-CSRFToken": window.cluedesk.csrf() }, headers || {}) });
    if (!response.ok) { status(t("Failed", { s: response.status })); throw new Error(String(response.status)); }
    return response.text();
  }
  function showStep(html) {
    const box = $("testrun-step-box");
    box.innerHTML = html;
    const step = $("testrun-step");
    const run = JSON.parse(step.dataset.run);
    state.testRun = run;
    clearMarkers();
    run.completed.forEach((id) => mark(id, "testrun-done"));
    run.current.forEach((id) => mark(id, "testrun-current"));
    // (the step itself says the run ended or failed; the state is for whoever waits on it)
    $("testrun-status").setAttribute("data-state", run.status);
    $("testrun-back").disabled = !step.querySelector("[data-testid=testrun-steps] li");
    $("testrun-panel").hidden = false;
    root.classList.add("testing");
    const first = step.querySelector(".field.invalid input, .field.invalid select, .field.invalid textarea");
    if (first) first.focus();
  }
  async function loadStep(id) {
    showStep(await page("GET", root.dataset.tStepUrl.replace("TEST", encodeURIComponent(id))));
  }
  $("testrun-step-box").addEventListener("submit", async (event) => {
    const form = event.target.closest("form.testrun-form");
    if (!form) return;
    event.preventDefault();
    const data = new FormData(form, event.submitter || undefined);
    showStep(await page("POST", form.getAttribute("action"), new URLSearchParams(data),
                        { "Content-Type": "application/x-www-form-urlencoded" }));
  });
  $("testrun-step-box").addEventListener("click", async (event) => {
    const fire = event.target.closest(".testrun-fire");
    if (!fire || !state.testRun) return;
    // The engine fires a timer once its instant has passed: a second after it.
    const after = new Date(Date.parse(fire.dataset.at) + 1000).toISOString();
    await call("POST", "/test-runs/" + state.testRun.id + "/timers", { now: after });
    await loadStep(state.testRun.id);
  });
  $("testrun-start").addEventListener("click", async () => {
    const run = await call("POST", "/test-runs", await currentXml(), "xml");
    await loadStep(run.id);
    await loadCases(run.process_key);
  });
  $("testrun-back").addEventListener("click", async () => {
    if (!state.testRun) return;
    await call("POST", "/test-runs/" + state.testRun.id + "/back");
    await loadStep(state.testRun.id);
  });
  $("testrun-stop").addEventListener("click", async () => {
    if (state.testRun) await call("DELETE", "/test-runs/" + state.testRun.id);
    state.testRun = null;
    clearMarkers();
    $("testrun-panel").hidden = true;
    root.classList.remove("testing");
  });
  $("testrun-save").addEventListener("click", async () => {
    const name = $("testrun-case-name").value.trim();
    if (!state.testRun || !name) { $("testrun-case-name").focus(); return; }
    const taken = [...$("testcase-list").querySelectorAll("li[data-case]")].some((li) => li.dataset.case === name);
    if (taken && !window.confirm(t("ReplaceCase", { name: name }))) return;
    const saved = await call("POST", "/test-runs/" + state.testRun.id + "/cases", { name: name });
    status(t("Saved", { name: saved.name }));
    await loadCases(saved.process_key);
  });

  // --- saved test-runs of the process, replayed against the diagram as it is now
  const deadlineNames = JSON.parse(root.dataset.tDeadlineNames || "{}");
  async function loadCases(key) {
    key = key || processKey();
    if (!key) return;
    const cases = await call("GET", "/process-definitions/" + encodeURIComponent(key) + "/test-cases");
    $("testcase-key").textContent = key;
    const list = $("testcase-list");
    list.innerHTML = "";
    if (!cases.length) {
      const li = document.createElement("li"); li.className = "muted"; li.textContent = t("NoCases"); list.appendChild(li);
    }
    cases.forEach((c) => {
      const li = document.createElement("li");
      li.setAttribute("data-case", c.name);
      li.appendChild(document.createTextNode(c.name + " · " + t("Steps", { n: c.steps }) + " "));
      const replay = document.createElement("button");
      replay.type = "button"; replay.textContent = t("Replay");
      replay.setAttribute("data-testid", "replay-" + c.id);
      replay.addEventListener("click", () => replayCase(c));
      const remove = document.createElement("button");
      remove.type = "button"; remove.className = "link"; remove.textContent = t("DeleteCase");
      remove.addEventListener("click", async () => { await call("DELETE", "/test-cases/" + c.id); await loadCases(key); });
      li.appendChild(replay);
      li.appendChild(remove);
      list.appendChild(li);
    });
    $("testcase-panel").hidden = false;
  }
  function limits(rows) {
    return rows && rows.length ? rows.map((r) => deadlineNames[r.key] || r.key).join("、") : t("None");
  }
  function outcomeWords(step, labels) {
    const found = step.waiting.length ? step.waiting.map((w) => w.name).join("、") : t("ProcessEnded");
    switch (step.outcome) {
      case "same": return t("OutcomeSame");
      case "different_task": return t("OutcomeDifferentTask", { found: found });
      case "different_deadlines": return t("OutcomeDifferentDeadlines", { old: limits(step.expected_deadlines), new: limits(step.deadlines) });
      case "refused": {
        const error = step.error || {};
        const named = Object.keys(error.fields || {}).map((f) => (labels[f] && labels[f].title) || f);
        return t("OutcomeRefused", { error: (error.message || "") + (named.length ? "（" + named.join("、") + "）" : "") });
      }
      default: return t("OutcomeEnded");
    }
  }
  async function replayCase(c) {
    const result = await call("POST", "/test-cases/" + c.id + "/replay", await currentXml(), "xml");
    $("replay-title").textContent = c.name;
    const list = $("replay-report");
    list.innerHTML = "";
    result.steps.forEach((step) => {
      const li = document.createElement("li");
      li.setAttribute("data-outcome", step.outcome);
      li.setAttribute("data-element-id", step.element_id || "");
      const what = step.kind === "end" ? t("EndStep") : step.kind === "timers" ? t("TimersStep") : (step.name || step.element_id);
      const strong = document.createElement("strong");
      strong.textContent = what + "：";
      li.appendChild(strong);
      li.appendChild(document.createTextNode(outcomeWords(step, result.test_run.labels || {})));
      li.className = step.outcome === "same" ? "replay-same" : "replay-changed";
      list.appendChild(li);
    });
    $("replay-box").hidden = false;
    await loadStep(result.test_run.id);
    // The step where the replay parted from the saved run, on the diagram.
    result.steps.filter((step) => step.outcome !== "same").forEach((step) => mark(step.element_id, "diff-changed"));
    $("replay-box").scrollIntoView({ block: "nearest" });
  }

  // --- unsaved changes: kept in this browser at each edit, offered back after a reload; leaving
  // with unsaved changes asks first. Deploying (or downloading) the diagram saves it.
  const KEPT = "cluedesk.designer.unsaved";
  state.dirty = false;
  function forget() { state.dirty = false; try { localStorage.removeItem(KEPT); } catch (e) { /* private mode */ } }
  // Not an async listener: diagram-js stops an event at the first listener that returns a value
  // (a promise would be one), and later listeners (the form preview's) must still run.
  modeler.on("commandStack.changed", (event) => {
    if (event && event.trigger === "clear") return;
    state.dirty = true;
    $("restore").hidden = true;
    keepLocally();
  });
  async function keepLocally() {
    const xml = await currentXml();
    try {
      localStorage.setItem(KEPT, JSON.stringify({ key: state.key, fileName: state.fileName, xml: xml,
                                                 at: new Date().toISOString() }));
    } catch (e) { /* storage full or disabled: the warning on leaving still applies */ }
  }
  window.addEventListener("beforeunload", (event) => {
    if (!state.dirty) return;
    event.preventDefault();
    event.returnValue = "";
  });
  $("download").addEventListener("click", forget);
  function offerKept() {
    let kept = null;
    try { kept = JSON.parse(localStorage.getItem(KEPT) || "null"); } catch (e) { kept = null; }
    if (!kept || !kept.xml) return;
    $("restore-text").textContent = $("restore-text").dataset.template
      .replace("{name}", kept.fileName || kept.key || "").replace("{when}", localTime(kept.at));
    $("restore").hidden = false;
    $("restore-yes").onclick = async () => {
      await open(kept.xml, kept.fileName);
      state.key = kept.key || null;
      state.dirty = true;
      $("restore").hidden = true;
      status(kept.fileName || "");
    };
    $("restore-no").onclick = () => { forget(); $("restore").hidden = true; };
  }

  open(EMPTY, "new_process.bpmn").then(offerKept);
})();
