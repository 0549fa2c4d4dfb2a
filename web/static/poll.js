// Conditional polling: every 30 s ask /poll with the last ETag; 304 (nothing changed) costs no
// body. A change updates the bell's count and, on the inbox page, reloads the table in place
// (unless the user is choosing rows or typing a filter). window.cluedesk.poll() polls now.
(function () {
  "use strict";
  const EVERY_MS = 30000;
  let etag = null;
  let stamp = null;

  function bell(unread) {
    const link = document.getElementById("bell");
    if (!link) return;
    let count = link.querySelector(".count");
    if (!unread) {
      if (count) count.remove();
      return;
    }
    if (!count) {
      count = document.createElement("span");
      count.className = "count";
      count.dataset.testid = "unread";
      link.appendChild(count);
    }
    count.textContent = String(unread);
  }

  function busy(inbox) {
    return inbox.querySelector("input[name=claim]:checked") ||
      (document.activeElement && inbox.contains(document.activeElement) &&
       document.activeElement.matches("input, textarea"));
  }

  async function poll() {
    const inbox = document.getElementById("inbox");
    const query = inbox ? location.search : "";
    const headers = etag ? { "If-None-Match": etag } : {};
    const response = await fetch("/poll" + query, { headers: headers, credentials: "same-origin" });
    if (response.status === 304 || !response.ok) return;
    // Signed out, or sent to another page first (a password to change): not ours to read.
    if (response.redirected || !(response.headers.get("Content-Type") || "").includes("json")) return;
    etag = response.headers.get("ETag");
    const state = await response.json();
    bell(state.unread);
    if (state.stamp === undefined) return;
    const changed = stamp !== null && state.stamp !== stamp;
    stamp = state.stamp;
    if (changed && inbox && !busy(inbox) && window.htmx) {
      window.htmx.ajax("GET", location.pathname + location.search, { target: "#inbox", swap: "innerHTML" });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!document.getElementById("bell")) return;  // not logged in
    poll();
    setInterval(() => { if (!document.hidden) poll(); }, EVERY_MS);
  });
  window.cluedesk = Object.assign(window.cluedesk || {}, { poll: poll });
})();
