/* Confirm before what cannot be undone (loaded as a file: the Content-Security-Policy forbids
   inline scripts). A form, or the button that submits it, with data-confirm="question" asks
   the question first; when the person agrees, confirmed=1 is added to what is posted, so the
   server does not answer with its own confirmation step (the no-JavaScript path). Works for
   plain forms and htmx forms: this listener runs in the capture phase, before htmx's. */
(function () {
  if (window.zonaConfirm) { return; }
  window.zonaConfirm = true;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.tagName !== "FORM") { return; }
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (!question) { return; }
    if (!window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    var flag = form.querySelector("input[name=confirmed]");
    if (!flag) {
      flag = document.createElement("input");
      flag.type = "hidden";
      flag.name = "confirmed";
      form.appendChild(flag);
    }
    flag.value = "1";
  }, true);
})();
