/* Copy buttons, loaded as a file (the Content-Security-Policy forbids inline scripts):
   <button hidden data-copy="#id" data-copied="Tersalin">: shown once this script runs,
   copies the text of the element #id to the clipboard and says so. Without JavaScript the
   text stays selectable (user-select: all). */
(function () {
  if (window.zonaCopy) { return; }
  window.zonaCopy = true;
  function ready() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) { return; }
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) { return; }
    var text = source.textContent.trim();
    var done = function () {
      var label = button.getAttribute("data-copied");
      if (label) { button.textContent = label; }
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { select(source); });
    } else {
      select(source);
    }
  });
  function select(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else { ready(); }
  document.addEventListener("htmx:afterSettle", ready);
})();
