// Inbox filters: choosing in a list filters at once (one request, the form's own htmx submit);
// typed search text is sent with Enter or the Filter button.
(function () {
  "use strict";
  document.addEventListener("change", (event) => {
    const select = event.target.closest("#inbox-filters select");
    if (select) select.form.requestSubmit();
  });
})();
