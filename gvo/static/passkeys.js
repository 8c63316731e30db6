// Passkeys (WebAuthn): a form with data-passkey="create" or "get" and data-options (the
// server's options as JSON, binary fields base64url) asks the browser for a new passkey
// (navigator.credentials.create) or for one to sign in (navigator.credentials.get) when it
// is sent, puts the answer as JSON (binary fields base64url) in its hidden field
// "credential", and sends it on. The server checks everything (gvo/security/passkeys.py).
// A static file: the Content-Security-Policy forbids inline script.
(function () {
  "use strict";

  function toBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }

  function toText(buffer) {
    if (!buffer) { return null; }
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: toBytes(d.id), transports: d.transports };
    });
  }

  function creationOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    o.excludeCredentials = descriptors(o.excludeCredentials);
    return { publicKey: o };
  }

  function requestOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.allowCredentials = descriptors(o.allowCredentials);
    return { publicKey: o };
  }

  function answer(cred) {
    var r = cred.response, out = {
      id: cred.id, rawId: toText(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || null,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toText(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(r.authenticatorData);
      out.response.signature = toText(r.signature);
      out.response.userHandle = toText(r.userHandle);
    }
    return JSON.stringify(out);
  }

  function showError(form, text) {
    var box = form.querySelector("[data-passkey-error]");
    box.textContent = "";
    var p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
    box.hidden = false;
  }

  function setUp(form) {
    var kind = form.getAttribute("data-passkey");
    if (!window.PublicKeyCredential || !navigator.credentials) {
      showError(form, "This browser cannot use passkeys. Use another way to sign in, or " +
        "another browser.");
      return;
    }
    var busy = false;
    form.elements.credential.value = "";  // a page shown again after a refusal asks anew
    form.addEventListener("submit", function (event) {
      if (form.elements.credential.value) { return; }  // the answer is in: send it
      event.preventDefault();
      if (busy) { return; }
      if (kind === "create" && !form.elements.name.value.trim()) {
        showError(form, "Give the passkey a name, such as the device it is on.");
        return;
      }
      busy = true;
      var options = JSON.parse(form.getAttribute("data-options"));
      var ask = kind === "create"
        ? navigator.credentials.create(creationOptions(options))
        : navigator.credentials.get(requestOptions(options));
      ask.then(function (cred) {
        form.elements.credential.value = answer(cred);
        form.submit();
      }, function (err) {
        busy = false;
        showError(form, err && err.name === "InvalidStateError"
          ? "This device already has a passkey for your account."
          : "No passkey was used (it was cancelled, or timed out). Try again.");
      });
    });
  }

  function start() {
    document.querySelectorAll("form[data-passkey]").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
