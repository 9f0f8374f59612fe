/* Evidence uploads (htmx 2), loaded as a file because the Content-Security-Policy forbids
   inline scripts; safe to load more than once. Forms marked <form data-upload-progress>:
   - a <progress> inside shows the upload (htmx:xhr:progress);
   - a file larger than the form's data-max-bytes is not sent at all: the message in
     data-too-large is shown at the top of the form's evidence panel, next to the upload
     (not at the top of a long page), and the form is reset (the server refuses it too);
   - a 413 from the server (body too large) is shown the same way. Refusals the server
     explains (wrong file type, ...) come back as the panel itself, with the message in it. */
(function () {
  if (window.zonaEvidenceUpload) { return; }
  window.zonaEvidenceUpload = true;

  function uploadForm(event) {
    var el = event.target;
    return el && el.closest ? el.closest("form[data-upload-progress]") : null;
  }
  function showError(form, text) {
    var panel = form.closest(".evidence-panel") || document.getElementById("flash");
    if (!panel) { return; }
    var box = panel.querySelector(".panel-error");
    if (!box) {
      box = document.createElement("div");
      box.className = "flash flash-error panel-error";
      box.setAttribute("role", "alert");
      panel.insertBefore(box, panel.firstChild);
    }
    var p = document.createElement("p");
    p.textContent = text;
    box.replaceChildren(p);
    form.reset();
    box.scrollIntoView({ block: "nearest" });
  }
  function tooLarge(form) {
    var limit = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    if (!limit) { return false; }
    var inputs = form.querySelectorAll("input[type=file]");
    for (var i = 0; i < inputs.length; i++) {
      var files = inputs[i].files || [];
      for (var j = 0; j < files.length; j++) {
        if (files[j].size > limit) { return true; }
      }
    }
    return false;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = uploadForm(event);
    if (!form) { return; }
    if (tooLarge(form)) {
      event.preventDefault();
      showError(form, form.getAttribute("data-too-large") || "File too large.");
      return;
    }
    var progress = form.querySelector("progress");
    if (progress) { progress.hidden = false; progress.removeAttribute("value"); }
  });
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = uploadForm(event);
    var progress = form && form.querySelector("progress");
    if (!progress || !event.detail.lengthComputable) { return; }
    progress.max = event.detail.total;
    progress.value = event.detail.loaded;
    progress.textContent = Math.round(event.detail.loaded * 100 / event.detail.total) + "%";
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = uploadForm(event);
    var progress = form && form.querySelector("progress");
    if (progress && document.body.contains(progress)) { progress.hidden = true; }
  });
  document.addEventListener("htmx:responseError", function (event) {
    var form = uploadForm(event);
    if (form && event.detail.xhr && event.detail.xhr.status === 413) {
      showError(form, form.getAttribute("data-too-large") || "File too large.");
    }
  });
})();
