// New / Edit Endpoint: switch the form to the chosen provider instantly and run
// Test Connection in place. Without JavaScript the server does both.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("registry-form");
  if (!form) { return; }
  var providers = JSON.parse(document.getElementById("provider-metadata").textContent);
  var byKey = {};
  providers.forEach(function (p) { byKey[p.key] = p; });
  var select = form.querySelector("[name=provider]");
  var url = form.querySelector("[name=url]");
  var accessId = form.querySelector("[name=access_id]");
  var verify = form.querySelector("[name=verify_remote_cert]");
  var ca = form.querySelector("[name=ca_certificate]");
  var current = byKey[select.value];

  function setHelp(input, text) {
    var id = input.id + "_helptext";
    var help = document.getElementById(id);
    if (!help) {
      help = document.createElement("div");
      help.id = id;
      help.className = "form-text";
      input.parentNode.appendChild(help);
      input.setAttribute("aria-describedby", id);
    }
    help.textContent = text || "";
  }

  function setFixed(input, fixed, value) {
    if (fixed) {
      input.value = value;
      input.readOnly = true;
      input.classList.add("is-fixed");
    } else {
      input.readOnly = false;
      input.classList.remove("is-fixed");
    }
  }

  function secretControl(kind) {
    var old = form.querySelector("[name=access_secret]");
    var wantTextarea = kind === "json";
    if ((old.tagName === "TEXTAREA") === wantTextarea) { return old; }
    var replacement = document.createElement(wantTextarea ? "textarea" : "input");
    if (wantTextarea) {
      replacement.rows = 6;
      replacement.spellcheck = false;
      replacement.className = "form-control font-monospace";
    } else {
      replacement.type = "password";
      replacement.className = "passwordinput form-control";
    }
    replacement.name = old.name;
    replacement.id = old.id;
    replacement.autocomplete = wantTextarea ? "off" : "new-password";
    var describedBy = old.getAttribute("aria-describedby");
    if (describedBy) { replacement.setAttribute("aria-describedby", describedBy); }
    old.parentNode.replaceChild(replacement, old);
    return replacement;
  }

  function applyProvider(next) {
    var previous = current;
    // A value that belonged to the previous provider's fixed settings goes away.
    if (previous && previous.url_mode === "fixed" && url.value === previous.default_url) { url.value = ""; }
    if (previous && previous.fixed_access_id && accessId.value === previous.fixed_access_id) { accessId.value = ""; }
    setFixed(url, next.url_mode === "fixed", next.default_url);
    url.placeholder = next.url_placeholder || "";
    setHelp(url, next.url_help);
    var list = document.getElementById("url-suggestions");
    list.textContent = "";
    next.suggestions.forEach(function (s) {
      var option = document.createElement("option");
      option.value = s.url;
      option.textContent = s.label;
      list.appendChild(option);
    });
    setFixed(accessId, next.fixed_access_id !== null, next.fixed_access_id || "");
    accessId.placeholder = next.access_id_placeholder || "";
    setHelp(accessId, next.access_id_help);
    var secret = secretControl(next.secret_kind);
    secret.placeholder = next.access_secret_placeholder || "";
    setHelp(secret, next.access_secret_help);

    var helpBox = document.getElementById("provider-help");
    var proxyLine = document.getElementById("provider-proxy-cache");
    proxyLine.textContent = next.proxy_cache
      ? next.label + " endpoints can back a proxy-cache project."
      : next.label + " endpoints cannot back a proxy-cache project; proxy-cache projects accept " +
        helpBox.getAttribute("data-proxy-cache-labels") + ".";
    var notes = document.getElementById("provider-notes");
    notes.textContent = "";
    next.notes.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      notes.appendChild(item);
    });
    current = next;
  }

  function syncCa() {
    ca.readOnly = !verify.checked;
    ca.classList.toggle("is-fixed", !verify.checked);
  }

  // Cancel on a changed form asks first (nothing typed is lost by a slip).
  var pristine = new URLSearchParams(new FormData(form)).toString();
  var cancel = document.getElementById("cancel-button");
  cancel.addEventListener("click", function (event) {
    var now = new URLSearchParams(new FormData(form)).toString();
    if (now !== pristine && !window.confirm("Some changes are not saved yet. Do you want to cancel?")) {
      event.preventDefault();
    }
  });

  // "Load from file…" for the CA certificate and a JSON key: the file's text goes into the
  // box, as if pasted (nothing is uploaded until the form is submitted).
  function addFileLoader(getTarget, label, accept) {
    var anchor = getTarget();
    var picker = document.createElement("input");
    picker.type = "file";
    picker.accept = accept;
    picker.className = "d-none";
    var button = element("button", "btn btn-sm btn-outline-secondary mt-1 file-loader", label);
    button.type = "button";
    button.addEventListener("click", function () { picker.click(); });
    picker.addEventListener("change", function () {
      var file = picker.files[0];
      if (!file) { return; }
      file.text().then(function (text) {
        var target = getTarget();
        target.value = text.trim();
        target.dispatchEvent(new Event("input", { bubbles: true }));
      });
      picker.value = "";
    });
    anchor.parentNode.insertBefore(button, anchor.nextSibling);
    anchor.parentNode.insertBefore(picker, button);
    return button;
  }
  addFileLoader(function () { return ca; }, "Load from file…", ".pem,.crt,.cer,text/plain");
  var keyLoader = addFileLoader(function () { return form.querySelector("[name=access_secret]"); },
    "Load JSON key from file…", ".json,application/json");
  function syncKeyLoader() {  // only JSON secrets come from a file
    keyLoader.hidden = form.querySelector("[name=access_secret]").tagName !== "TEXTAREA";
  }
  syncKeyLoader();

  select.addEventListener("change", function () { applyProvider(byKey[select.value]); syncKeyLoader(); });
  verify.addEventListener("change", syncCa);
  syncCa();

  // Test Connection: ask for JSON and show the steps without leaving the page,
  // so nothing typed (the secret included) is lost.
  var testButton = document.getElementById("test-connection");
  var resultBox = document.getElementById("test-result");

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function showResult(result) {
    var box = element("div", "test-result alert " + (result.ok ? "alert-success" : "alert-danger"));
    box.appendChild(element("p", "fw-semibold mb-1",
      result.ok ? "Connection tested successfully." : "Connection failed"));
    var summary = element("p", "mb-2", result.summary + " ");
    if (!result.ok) { summary.appendChild(element("span", "badge text-bg-dark", result.category)); }
    box.appendChild(summary);
    (result.warnings || []).forEach(function (w) {
      box.appendChild(element("p", "mb-1 text-warning-emphasis", "⚠ " + w));
    });
    var steps = element("ol", "steps list-unstyled mb-0 small");
    result.steps.forEach(function (step) {
      var item = element("li", "step " + (step.ok ? "step-ok" : "step-failed"));
      var icon = element("span", "", step.ok ? "✓ " : "✗ ");
      icon.setAttribute("aria-hidden", "true");
      item.appendChild(icon);
      item.appendChild(element("span", "visually-hidden", step.ok ? "passed: " : "failed: "));
      item.appendChild(element("strong", "", step.name));
      item.appendChild(element("span", "text-body-secondary", " (" + step.ms + " ms)"));
      if (step.detail) { item.appendChild(document.createTextNode(" — " + step.detail)); }
      if (step.hint) { item.appendChild(element("div", "hint", step.hint)); }
      steps.appendChild(item);
    });
    box.appendChild(steps);
    box.appendChild(element("p", "small text-body-secondary mb-0 mt-1", "Took " + result.elapsed_ms + " ms."));
    resultBox.textContent = "";
    resultBox.appendChild(box);
  }

  function failure(summary) {
    return { ok: false, category: "http", summary: summary, steps: [], elapsed_ms: 0, warnings: [] };
  }

  testButton.addEventListener("click", function (event) {
    event.preventDefault();
    var data = new FormData(form);
    data.set("action", "test");
    testButton.disabled = true;
    var label = testButton.textContent;
    testButton.textContent = "Testing Connection…";
    resultBox.textContent = "";
    fetch(form.getAttribute("data-test-url"), {
      method: "POST",
      body: data,
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== -1) { return response.json(); }
      return failure(response.status === 403 || response.redirected
        ? "Your session expired or the page is out of date: reload the page and log in again."
        : "harborreg answered HTTP " + response.status + " instead of a test result. Reload and try again.");
    }).then(showResult).catch(function () {
      showResult(failure("The test could not be run: the page lost contact with harborreg. Reload and try again."));
    }).then(function () {
      testButton.disabled = false;
      testButton.textContent = label;
    });
  });
})();
