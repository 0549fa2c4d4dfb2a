// Administration: the dialog (transfer step) opens when its content arrives and closes when
// the server says the action is done.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id !== "dialog-body") return;
    const dialog = document.getElementById("admin-dialog");
    if (dialog && !dialog.open) dialog.showModal();
  });
  document.body.addEventListener("cd-dialog-close", () => {
    const dialog = document.getElementById("admin-dialog");
    if (dialog && dialog.open) dialog.close();
  });
})();
