// The library's upload progress and upload errors (htmx), with no inline script.
(function () {
  "use strict";
  function uploadForm(elt) {
    return elt && elt.closest ? elt.closest("form[data-upload]") : null;
  }
  document.addEventListener("htmx:xhr:progress", function (evt) {
    var form = uploadForm(evt.target);
    if (!form || !evt.detail.lengthComputable) { return; }
    var bar = form.querySelector(".upload-progress");
    bar.hidden = false;
    bar.value = Math.round((evt.detail.loaded / evt.detail.total) * 100);
  });
  function commentForm(elt) {
    return elt && elt.closest ? elt.closest("form.comment-form") : null;
  }
  // A refused or too large upload answers 413/415/422 with a message to show; so does a
  // refused comment (422, shown beside the thread; the form keeps what was typed).
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var elt = evt.detail.requestConfig && evt.detail.requestConfig.elt;
    var status = evt.detail.xhr.status;
    if ((uploadForm(elt) && (status === 400 || status === 413 || status === 415 || status === 422))
        || (commentForm(elt) && status === 422)) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });
  // A comment posted: empty its form and close the reply box it was in.
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = commentForm(evt.detail.elt);
    if (!form || !evt.detail.successful || !form.isConnected) { return; }
    form.reset();
    var box = form.closest("details");
    if (box) { box.open = false; }
  });
  // A busy office (503): nothing was saved; say so beside the form, which keeps what was typed.
  document.addEventListener("htmx:responseError", function (evt) {
    var elt = evt.detail.elt;
    var form = elt && elt.closest ? elt.closest("form") : null;
    if (!form || evt.detail.xhr.status !== 503) { return; }
    var note = form.querySelector(".busy-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "flash flash-error busy-note";
      note.setAttribute("role", "alert");
      form.prepend(note);
    }
    note.textContent = "The office is busy: nothing was saved yet. Wait a few seconds and send it again.";
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    var form = uploadForm(evt.detail.elt);
    if (!form) { return; }
    var bar = form.querySelector(".upload-progress");
    bar.hidden = true;
    bar.value = 0;
    if (evt.detail.successful) { form.reset(); }
  });
})();
