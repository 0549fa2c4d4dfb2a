// cluedesk page behaviour: CSRF header on htmx requests, toasts, dismissable alerts.
// No inline scripts anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

  document.addEventListener("htmx:configRequest", (event) => {
    event.detail.headers["X-CSRFToken"] = csrf();
  });

  function toast(message, level) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "toast toast-" + (level || "success");
    item.setAttribute("role", "status");
    item.textContent = message;
    box.appendChild(item);
    setTimeout(() => item.remove(), 6000);
  }
  window.cluedesk = { toast: toast, csrf: csrf };

  // Until htmx has taken over the page's forms, their buttons do not take clicks (app.css):
  // a click that early would send the form as a plain GET, its contents in the address.
  // This listener runs after htmx's own, so the forms are ready when it does.
  document.addEventListener("DOMContentLoaded", () => {
    document.documentElement.dataset.ready = "1";
  });

  document.body.addEventListener("cd-toast", (event) => {
    toast(event.detail.message, event.detail.level);
  });

  // A new action clears the previous error.
  document.addEventListener("htmx:beforeRequest", (event) => {
    const flash = document.getElementById("flash");
    if (flash && !event.detail.elt.closest("#flash")) flash.innerHTML = "";
  });
  // Network failure: say so instead of doing nothing.
  document.addEventListener("htmx:sendError", () => {
    toast(document.documentElement.lang === "en" ? "The server cannot be reached." : "无法连接服务器。", "error");
  });

  document.addEventListener("click", (event) => {
    const dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) dismiss.closest(".alert").remove();
    const opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.openDialog);
      if (dialog) dialog.showModal();
    }
    const closer = event.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
    if (event.target.closest("[data-print]")) window.print();
  });
})();
