// Case page: each process instance's BPMN diagram, drawn by bpmn-js (NavigatedViewer), with the
// steps already done and the current ones marked. One request per diagram brings the XML and the
// element ids together; a diagram inside a closed <details> is drawn when it is opened.
(function () {
  "use strict";

  async function draw(container) {
    if (container.dataset.state) return;
    container.dataset.state = "loading";
    try {
      const response = await fetch(container.dataset.diagramUrl, { credentials: "same-origin" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const diagram = await response.json();
      const viewer = new window.BpmnJS({ container: container });
      await viewer.importXML(diagram.xml);
      const canvas = viewer.get("canvas");
      const registry = viewer.get("elementRegistry");
      const mark = (ids, marker) => ids.forEach((id) => {
        if (registry.get(id)) canvas.addMarker(id, marker);
      });
      mark(diagram.done, "done");
      mark(diagram.current, "current");
      canvas.zoom("fit-viewport");
      container.dataset.current = diagram.current.join(" ");
      container.dataset.state = "ready";
    } catch (err) {
      container.dataset.state = "failed";
      const note = document.createElement("p");
      note.className = "error";
      note.textContent = container.dataset.error;
      container.appendChild(note);
    }
  }

  document.querySelectorAll(".diagram[data-diagram-url]").forEach((container) => {
    const box = container.closest("details");
    if (!box || box.open) {
      draw(container);
    } else {
      box.addEventListener("toggle", () => { if (box.open) draw(container); });
    }
  });
})();
