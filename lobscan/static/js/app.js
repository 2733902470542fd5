// lobscan: the little JavaScript the pages need besides htmx. Served from our own origin (CSP).
(function () {
  "use strict";

  function flashRegion() {
    return document.getElementById("flashes");
  }

  function showError(text) {
    var region = flashRegion();
    if (!region) return;
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.textContent = text;
    region.replaceChildren(p);
  }

  // Copy buttons: <button data-copy="#input" data-copied="Gekopieerd">
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var input = document.querySelector(button.getAttribute("data-copy"));
    if (!input) return;
    input.select();
    var done = function () {
      var original = button.getAttribute("data-label") || button.textContent;
      button.setAttribute("data-label", original);
      button.textContent = button.getAttribute("data-copied") || original;
      setTimeout(function () { button.textContent = original; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
  });

  // Autosave (respondent pages): a failed save says so next to the statement, with a retry.
  function autosaveFailed(elt, message) {
    var fieldset = elt && elt.closest ? elt.closest("[data-autosave]") : null;
    if (!fieldset) return false;
    var state = fieldset.querySelector(".save-state");
    if (!state) return true;
    state.className = "save-state save-error";
    state.textContent = "⚠ " + (message || document.body.getAttribute("data-save-failed"));
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "retry secondary";
    retry.textContent = document.body.getAttribute("data-retry") || "Opnieuw";
    retry.addEventListener("click", function () { htmx.trigger(fieldset, "change"); });
    state.appendChild(retry);
    return true;
  }
  document.addEventListener("htmx:sendError", function (event) {
    autosaveFailed(event.detail.elt);
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var fieldset = event.detail.elt.closest && event.detail.elt.closest("[data-autosave]");
    if (!fieldset) return;
    var state = fieldset.querySelector(".save-state");
    if (state) { state.className = "save-state"; state.textContent = document.body.getAttribute("data-saving") || "…"; }
  });

  // An htmx request that failed: show the server's Dutch message, or a generic one.
  document.addEventListener("htmx:responseError", function (event) {
    if (autosaveFailed(event.detail.elt)) return;
    var xhr = event.detail.xhr;
    var text = null;
    if (xhr && xhr.responseText) {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var node = doc.querySelector("[data-error-message]");
      if (node) text = node.textContent.trim();
    }
    showError(text || document.body.getAttribute("data-error-generic"));
  });
  document.addEventListener("htmx:sendError", function (event) {
    if (event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("[data-autosave]")) return;
    showError(document.body.getAttribute("data-error-generic"));
  });
})();
