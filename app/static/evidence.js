/* Upload progress for evidence forms (htmx 2): <form data-upload-progress> containing a
   <progress> element. Loaded as a file because the Content-Security-Policy forbids inline
   scripts. Safe to load more than once. */
(function () {
  if (window.zonaEvidenceUpload) { return; }
  window.zonaEvidenceUpload = true;
  function bar(form) { return form && form.querySelector("progress"); }
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest && event.target.closest("form[data-upload-progress]");
    var progress = bar(form);
    if (!progress || !event.detail.lengthComputable) { return; }
    progress.hidden = false;
    progress.max = event.detail.total;
    progress.value = event.detail.loaded;
    progress.textContent = Math.round(event.detail.loaded * 100 / event.detail.total) + "%";
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest && event.target.closest("form[data-upload-progress]");
    var progress = bar(form);
    if (progress) { progress.hidden = false; progress.removeAttribute("value"); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target.closest && event.target.closest("form[data-upload-progress]");
    var progress = bar(form);
    if (progress && document.body.contains(progress)) { progress.hidden = true; }
  });
})();
