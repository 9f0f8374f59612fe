/* The LKE worksheet saves an answer as it changes (htmx, hx-trigger="zona-save, submit"),
   loaded as a file because the Content-Security-Policy forbids inline scripts.
   - A click or tap on an option, or a change to a number or the explanation: saved at once.
   - Arrow keys move through a question's options and select each in turn: saved once, when
     the focus leaves that question's options (not one save per key press).
   Without JavaScript each question has its own "Simpan" button. */
(function () {
  if (window.zonaWorksheet) { return; }
  window.zonaWorksheet = true;
  var ARROWS = ["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"];
  var byArrow = false;

  function save(form) {
    if (window.htmx) { window.htmx.trigger(form, "zona-save"); }
  }
  function questionForm(el) {
    return el && el.closest ? el.closest("form.ws-q-form") : null;
  }
  document.addEventListener("keydown", function (event) {
    byArrow = ARROWS.indexOf(event.key) >= 0 && event.target.type === "radio";
  }, true);
  document.addEventListener("pointerdown", function () { byArrow = false; }, true);
  document.addEventListener("change", function (event) {
    var form = questionForm(event.target);
    if (!form) { return; }
    if (event.target.type === "radio" && byArrow) {
      form.setAttribute("data-pending", "1");  // saved when the focus leaves the options
      return;
    }
    form.removeAttribute("data-pending");
    save(form);
  });
  document.addEventListener("focusout", function (event) {
    var options = event.target.closest ? event.target.closest(".ws-options") : null;
    if (!options) { return; }
    if (event.relatedTarget && options.contains(event.relatedTarget)) { return; }
    var form = questionForm(options);
    if (form && form.hasAttribute("data-pending")) {
      form.removeAttribute("data-pending");
      save(form);
    }
  });
})();
