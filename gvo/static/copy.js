// "Copy" buttons: <button data-copy="ID"> copies the value of the field #ID and shows the
// element [data-copied="ID"]. No inline script (the Content-Security-Policy forbids it);
// the button stays hidden where the clipboard cannot be written (then the field is
// there to select by hand).
(function () {
  "use strict";
  function setUp() {
    if (!navigator.clipboard || !window.isSecureContext) { return; }
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var id = button.getAttribute("data-copy");
        var field = document.getElementById(id);
        navigator.clipboard.writeText(field.value).then(function () {
          var done = document.querySelector('[data-copied="' + id + '"]');
          if (done) { done.hidden = false; }
        });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
