// What a person types into a form field (text boxes, one-line fields, dates, choices) is kept in this tab (sessionStorage) until the
// office has it: if their session ended meanwhile (they are sent to the sign-in page), the
// text is put back in the same box once they are signed in again, with a note saying so.
// A draft belongs to the person who typed it (the page's data-draft-owner, an opaque value
// per person): it is put back only for them, the drafts of anyone else are dropped when
// someone signs in on this tab, and a draft older than DRAFT_HOURS is dropped.
// A form marked data-warn-unsaved also asks before the page is left with unsent changes.
// A page shown again with errors puts the focus on the first field in error.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector("main [aria-invalid=true]");
    if (invalid && !document.querySelector("main [autofocus]")) { invalid.focus(); }
  });
})();
(function () {
  "use strict";
  var PREFIX = "gvo-draft:";
  var PENDING = "gvo-draft-pending";
  var DRAFT_HOURS = 12;
  var store;
  try { store = window.sessionStorage; } catch (e) { return; }
  if (!store) { return; }
  var owner = (document.body && document.body.getAttribute("data-draft-owner")) || "";
  var mine = PREFIX + owner + ":";

  function keyOf(field) {
    var form = field.form;
    if (!owner || !form || !field.name ||
        (form.getAttribute("method") || "").toLowerCase() !== "post") {
      return null;
    }
    var parent = form.elements.namedItem("parent_id");
    return mine + (form.getAttribute("action") || location.pathname) + "|" + field.name +
      "|" + (parent && parent.value ? parent.value : "");
  }
  function keep(key, text) {
    store.setItem(key, JSON.stringify({text: text, at: Date.now()}));
  }
  function kept(key) {
    var raw = store.getItem(key), draft;
    try { draft = JSON.parse(raw); } catch (e) { draft = null; }
    if (!draft || typeof draft.text !== "string" || typeof draft.at !== "number" ||
        Date.now() - draft.at > DRAFT_HOURS * 3600 * 1000) {
      if (raw !== null) { store.removeItem(key); }
      return null;
    }
    return draft.text;
  }
  // Signed in: drafts of anyone else (or of no one, or too old) leave this tab.
  function dropOthers() {
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (!key || key.indexOf(PREFIX) !== 0) { continue; }
      if (key.indexOf(mine) !== 0) { store.removeItem(key); } else { kept(key); }
    }
  }
  // The fields whose typing is kept and warned about: not passwords, hidden fields, files,
  // ticks or buttons.
  var TYPED = {text: 1, date: 1, email: 1, number: 1, tel: 1, url: 1, time: 1,
               "datetime-local": 1};
  function typed(el) {
    if (el.tagName === "TEXTAREA") { return true; }
    if (el.tagName === "SELECT") { return !el.multiple; }
    return el.tagName === "INPUT" && TYPED.hasOwnProperty((el.type || "text").toLowerCase());
  }
  function changed(el) {
    if (el.tagName === "SELECT") {
      return Array.prototype.some.call(el.options, function (o) {
        return o.selected !== o.defaultSelected;
      });
    }
    return el.value !== el.defaultValue;
  }
  function boxes(root) {
    return Array.prototype.filter.call(
      (root || document).querySelectorAll("textarea, input, select"), typed);
  }
  function formBoxes(form) {
    return Array.prototype.filter.call(form.elements, typed);
  }
  function forget(keys) {
    keys.forEach(function (key) { if (key) { store.removeItem(key); } });
  }
  function forgetAll() {
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) { store.removeItem(key); }
    }
    store.removeItem(PENDING);
  }
  function restore(root) {
    boxes(root).forEach(function (box) {
      var key = keyOf(box), text = key && kept(key);
      if (!text || text === box.value) { return; }
      if (box.tagName === "SELECT" && !Array.prototype.some.call(box.options, function (o) {
        return o.value === text;
      })) { return; }
      box.value = text;
      var note = document.createElement("p");
      note.className = "hint draft-note";
      note.setAttribute("role", "status");
      note.textContent = "Put back: what you typed here before was not sent yet. Check it and send it again.";
      box.parentNode.insertBefore(note, box);
    });
  }

  var signedOut = document.body && document.body.hasAttribute("data-signed-out");
  var pending = store.getItem(PENDING);
  if (pending) {
    store.removeItem(PENDING);
    // The office answered the form that was sent: it saved the text or showed it back.
    // Only a sign-in page means the text never arrived: then it is kept for later.
    if (!signedOut) {
      try { forget(JSON.parse(pending)); } catch (e) { /* nothing to forget */ }
    }
  }
  if (!signedOut && owner) { dropOthers(); restore(document); }

  document.addEventListener("input", function (evt) {
    var box = evt.target;
    if (!typed(box)) { return; }
    var key = keyOf(box);
    if (!key) { return; }
    if (box.value.trim()) { keep(key, box.value); } else { store.removeItem(key); }
  });
  var leaving = false;
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (/\/logout(\/|$)/.test(form.getAttribute("action") || "")) { forgetAll(); return; }
    if (form.hasAttribute("hx-post")) { return; }  // htmx: see htmx:afterRequest
    // Leaving on purpose only when no other form keeps unsaved changes: a button of another
    // form (Circulate, Remove, ...) still gets the warning.
    leaving = !unsavedForms().some(function (other) { return other !== form; });
    store.setItem(PENDING, JSON.stringify(formBoxes(form).map(keyOf)));
  });
  // Before the answer is swapped in (the form may be replaced, and events from a removed
  // element reach no listener here): a form the office took is forgotten.
  document.addEventListener("htmx:beforeOnLoad", function (evt) {
    leaving = false;
    var elt = evt.detail.elt, form = elt && elt.closest ? elt.closest("form") : null;
    var xhr = evt.detail.xhr;
    if (!form || xhr.status < 200 || xhr.status > 299 || xhr.getResponseHeader("HX-Redirect") ||
        xhr.getResponseHeader("HX-Refresh")) { return; }
    forget(formBoxes(form).map(keyOf));
  });
  function unsavedForms() {
    return Array.prototype.filter.call(
      document.querySelectorAll("form[data-warn-unsaved]"), function (form) {
        return formBoxes(form).some(changed);
      });
  }
  window.addEventListener("beforeunload", function (evt) {
    if (leaving) { leaving = false; return; }
    if (unsavedForms().length) { evt.preventDefault(); evt.returnValue = ""; }
  });
})();
// An in-page (htmx) action the office refused without a part of the page to show: say so,
// beside its form and in the page's alert region (a live region), instead of nothing.
// A busy office (503) and the answers library.js shows itself are left to it.
(function () {
  "use strict";
  var SAY = {
    400: "This page is out of date (perhaps you signed in again in another tab), so that " +
         "was not done. Reload the page and try again: what you typed is put back.",
    403: "You may not do that (any more), so it was not done.",
    404: "That is no longer there, so it was not done. Reload the page to see it as it is.",
    409: "Someone else changed this meanwhile, so that was not done. Reload the page and " +
         "try again.",
    422: "That was not accepted, so nothing was saved. Check what you typed and try again."
  };
  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail.xhr.status;
    if (status === 503) { return; }
    var text = SAY[status] || ("Something went wrong (error " + status + "), so that was not " +
                               "done. Reload the page and try again.");
    var region = document.getElementById("page-alert");
    if (region) {
      region.className = "flash flash-error";
      region.textContent = text;
      region.hidden = false;
    }
    var elt = evt.detail.elt;
    var form = elt && elt.closest ? elt.closest("form") : null;
    if (form) {
      var note = form.querySelector(".refusal-note");
      if (!note) {
        note = document.createElement("p");
        note.className = "flash flash-error refusal-note";
        form.prepend(note);
      }
      note.textContent = text;
    }
    if (region && region.scrollIntoView && !form) { region.scrollIntoView({block: "nearest"}); }
  });
})();
