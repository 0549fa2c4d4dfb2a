// Case page: each process instance's BPMN diagram, drawn by bpmn-js (NavigatedViewer), with the
// steps already done and the current ones marked, and who holds each current step written under
// it. A step that runs a process of its own (a call activity) opens that process in place: the
// trail above the diagram leads back. One request per diagram brings the XML, the element ids and
// the holders together; a diagram inside a closed <details> is drawn when it is opened.
(function () {
  "use strict";

  const READABLE = 0.75; // below this scale the step names are too small to read

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text) node.textContent = text;
    return node;
  }

  function setup(container) {
    const trail = container.parentElement.querySelector(".diagram-trail");
    const levels = []; // [{process, name}]
    let viewer = null;

    function renderTrail() {
      if (!trail) return;
      trail.replaceChildren();
      trail.hidden = levels.length < 2;
      levels.forEach((level, index) => {
        if (index) trail.appendChild(el("span", "sep", "›"));
        if (index === levels.length - 1) {
          const here = el("strong", null, level.name);
          here.setAttribute("aria-current", "page");
          trail.appendChild(here);
        } else {
          const back = el("button", "link", level.name);
          back.type = "button";
          back.addEventListener("click", () => { levels.length = index + 1; show(level.process); });
          trail.appendChild(back);
        }
      });
    }

    function readable(canvas, registry, current) {
      canvas.zoom("fit-viewport");
      if (canvas.zoom() >= READABLE) return;
      const focus = current.map((id) => registry.get(id)).find(Boolean);
      if (!focus) { canvas.zoom(READABLE, { x: 0, y: 0 }); return; }
      canvas.zoom(READABLE);
      const box = canvas.viewbox();
      canvas.viewbox({
        x: focus.x + focus.width / 2 - box.width / 2,
        y: focus.y + focus.height / 2 - box.height / 2,
        width: box.width, height: box.height,
      });
    }

    async function show(process) {
      container.dataset.state = "loading";
      const url = new URL(container.dataset.diagramUrl, window.location.href);
      if (process) url.searchParams.set("process", process);
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        if (!response.ok) throw new Error("HTTP " + response.status);
        const diagram = await response.json();
        if (!viewer) {
          viewer = new window.BpmnJS({ container: container });
          viewer.get("eventBus").on("element.click", (event) => {
            const target = container.calls && container.calls[event.element.id];
            if (target) open(target, event.element.businessObject.name || target);
          });
        }
        await viewer.importXML(diagram.xml);
        container.calls = diagram.calls;
        if (!levels.length) levels.push({ process: null, name: diagram.name });
        const canvas = viewer.get("canvas");
        const registry = viewer.get("elementRegistry");
        const overlays = viewer.get("overlays");
        const mark = (ids, marker) => ids.forEach((id) => {
          if (registry.get(id)) canvas.addMarker(id, marker);
        });
        mark(diagram.done, "done");
        mark(diagram.current, "current");
        Object.entries(diagram.calls).forEach(([id, target]) => {
          const element = registry.get(id);
          if (!element) return;
          canvas.addMarker(id, "opens");
          const name = element.businessObject.name || target;
          const button = el("button", "open-call", "＋");
          button.type = "button";
          button.title = container.dataset.openLabel.replace("{name}", name);
          button.setAttribute("aria-label", button.title);
          button.dataset.opens = target;
          button.addEventListener("click", () => open(target, name));
          overlays.add(id, { position: { top: -10, right: 10 }, html: button });
        });
        Object.entries(diagram.holders).forEach(([id, names]) => {
          if (!registry.get(id)) return;
          const note = el("div", "holder", names.join("；"));
          note.dataset.element = id;
          overlays.add(id, { position: { bottom: -4, left: 0 }, html: note });
        });
        readable(canvas, registry, diagram.current);
        container.dataset.process = diagram.process;
        container.dataset.current = diagram.current.join(" ");
        container.dataset.state = "ready";
        renderTrail();
      } catch (err) {
        container.dataset.state = "failed";
        container.querySelectorAll(".error").forEach((note) => note.remove());
        container.appendChild(el("p", "error", container.dataset.error));
      }
    }

    function open(process, name) {
      levels.push({ process: process, name: name });
      show(process);
    }

    return () => { if (!container.dataset.state) show(null); };
  }

  document.querySelectorAll(".diagram[data-diagram-url]").forEach((container) => {
    const draw = setup(container);
    const box = container.closest("details");
    if (!box || box.open) {
      draw();
    } else {
      box.addEventListener("toggle", () => { if (box.open) draw(); });
    }
  });
})();
