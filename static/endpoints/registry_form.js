// New / Edit Endpoint: switch the form to the chosen provider instantly, offer the provider's
// regions, run Test Connection in place and show each answer where the admin is looking.
// Without JavaScript the server does all of it (a re-render per action).
(function () {
  "use strict";
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
  var picker = document.getElementById("url-picker");
  var pickerBlock = document.getElementById("url-picker-block");
  var testButton = document.getElementById("test-connection");
  var okButton = document.getElementById("ok-button");
  var resultBox = document.getElementById("test-result");
  var buttonRow = form.querySelector(".form-buttons");
  var current = byKey[select.value];

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function describedBy(input, id, add) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) {
      return x && x !== id;
    });
    if (add) { ids.push(id); }
    if (ids.length) { input.setAttribute("aria-describedby", ids.join(" ")); } else { input.removeAttribute("aria-describedby"); }
  }

  function setHelp(input, text) {
    var id = input.id + "_helptext";
    var help = document.getElementById(id);
    if (!help) {
      help = element("div", "form-text");
      help.id = id;
      input.parentNode.appendChild(help);
      describedBy(input, id, true);
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
    ["aria-describedby", "maxlength"].forEach(function (name) {
      if (old.hasAttribute(name)) { replacement.setAttribute(name, old.getAttribute(name)); }
    });
    old.parentNode.replaceChild(replacement, old);
    return replacement;
  }

  // --- the region picker: a visible list that fills in Endpoint URL ---

  function suggested(provider, value) {
    return !!provider && provider.suggestions.some(function (s) { return s.url === value; });
  }

  function syncPicker() {
    picker.value = url.value.trim();
    if (picker.selectedIndex < 0) { picker.selectedIndex = 0; }
  }

  function fillPicker(provider) {
    picker.length = 1;  // keep "Choose a region…"
    provider.suggestions.forEach(function (s) { picker.add(new Option(s.label, s.url)); });
    pickerBlock.classList.toggle("d-none", provider.url_mode !== "suggestions");
    syncPicker();
  }

  picker.addEventListener("change", function () {
    if (!picker.value) { return; }
    url.value = picker.value;
    url.dispatchEvent(new Event("input", { bubbles: true }));
  });
  url.addEventListener("input", syncPicker);

  function applyProvider(next) {
    var previous = current;
    // A value that belonged to the previous provider (fixed, or one of its suggestions) goes:
    // it would only be refused, and it hides every suggestion of the new one.
    if (previous && ((previous.url_mode === "fixed" && url.value === previous.default_url) ||
        (suggested(previous, url.value) && !suggested(next, url.value)))) { url.value = ""; }
    if (previous && previous.fixed_access_id && accessId.value === previous.fixed_access_id) { accessId.value = ""; }
    setFixed(url, next.url_mode === "fixed", next.default_url);
    url.placeholder = next.url_placeholder || "";
    setHelp(url, next.url_help);
    var list = document.getElementById("url-suggestions");
    list.textContent = "";
    next.suggestions.forEach(function (s) {
      var option = element("option", "", s.label);
      option.value = s.url;
      list.appendChild(option);
    });
    fillPicker(next);
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
      : next.label + " endpoints cannot back a proxy-cache project here: PROXY_CACHE_PROVIDERS " +
        "(a server setting) allows " + helpBox.getAttribute("data-proxy-cache-labels") + ".";
    var notes = document.getElementById("provider-notes");
    notes.textContent = "";
    next.notes.forEach(function (text) { notes.appendChild(element("li", "", text)); });
    current = next;
  }

  function syncCa() {
    ca.readOnly = !verify.checked;
    ca.classList.toggle("is-fixed", !verify.checked);
  }

  // --- the stored secret: one line that says whether a blank box keeps it ---

  var secretStatus = document.getElementById("secret-status");
  if (secretStatus && secretStatus.hasAttribute("data-kept")) {
    var storedCaNode = document.getElementById("stored-ca-certificate");
    var storedCa = storedCaNode ? JSON.parse(storedCaNode.textContent) : "";
    var origin = function (value) {
      value = value.trim();
      try {
        var parsed = new URL(value.indexOf("://") === -1 ? "https://" + value : value);
        return parsed.protocol + "//" + parsed.hostname + ":" + (parsed.port || (parsed.protocol === "http:" ? "80" : "443"));
      } catch (e) {
        return null;
      }
    };
    var pem = function (text) {
      return text.split(/\r?\n/).map(function (line) { return line.trim(); }).filter(Boolean).join("\n");
    };
    // The rule of validation.secret_reentry_reason, as the admin types; the server decides.
    var reentryReason = function () {
      var storedVerify = secretStatus.getAttribute("data-stored-verify") === "true";
      if (url.value.trim() && origin(url.value) !== origin(secretStatus.getAttribute("data-stored-url"))) { return "url"; }
      if (storedVerify && !verify.checked) { return "verify"; }
      if (storedVerify && verify.checked && pem(ca.value) && pem(ca.value) !== pem(storedCa)) { return "ca"; }
      return "kept";
    };
    var syncSecretStatus = function () {
      secretStatus.textContent = secretStatus.getAttribute("data-" + reentryReason());
    };
    [url, ca].forEach(function (input) { input.addEventListener("input", syncSecretStatus); });
    verify.addEventListener("change", syncSecretStatus);
  }
  if (secretStatus) { describedBy(form.querySelector("[name=access_secret]"), "secret-status", true); }

  // Cancel on a changed form asks first (nothing typed is lost by a slip).
  var pristine = new URLSearchParams(new FormData(form)).toString();
  var cancel = document.getElementById("cancel-button");
  cancel.addEventListener("click", function (event) {
    if (busy && cancel.getAttribute("aria-disabled") === "true") { event.preventDefault(); return; }
    var now = new URLSearchParams(new FormData(form)).toString();
    if (now !== pristine && !window.confirm("Some changes are not saved yet. Do you want to cancel?")) {
      event.preventDefault();
    }
  });

  // "Load from file…" for the CA certificate and a JSON key: the file's text goes into the
  // box, as if pasted (nothing is uploaded until the form is submitted).
  function addFileLoader(getTarget, label, accept) {
    var anchor = getTarget();
    var chooser = document.createElement("input");
    chooser.type = "file";
    chooser.accept = accept;
    chooser.className = "d-none";
    chooser.tabIndex = -1;
    chooser.setAttribute("aria-hidden", "true");
    var button = element("button", "btn btn-sm btn-outline-secondary mt-1 file-loader", label);
    button.type = "button";
    button.addEventListener("click", function () { chooser.click(); });
    chooser.addEventListener("change", function () {
      var file = chooser.files[0];
      if (!file) { return; }
      file.text().then(function (text) {
        var target = getTarget();
        target.value = text.trim();
        target.dispatchEvent(new Event("input", { bubbles: true }));
      });
      chooser.value = "";
    });
    anchor.parentNode.insertBefore(button, anchor.nextSibling);
    anchor.parentNode.insertBefore(chooser, button);
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
  syncPicker();

  // --- a request in flight: the buttons say so and refuse a second one ---

  var busy = false;

  function setBusy(on, active, label, withCancel) {
    busy = on;
    var buttons = Array.prototype.slice.call(form.querySelectorAll(".form-buttons .btn, #save-anyway .btn"));
    buttons.forEach(function (button) {
      if (on && (button !== cancel || withCancel)) {
        button.setAttribute("aria-disabled", "true");
      } else {
        button.removeAttribute("aria-disabled");
      }
      if (!on && button.hasAttribute("data-label")) {
        button.textContent = button.getAttribute("data-label");
        button.removeAttribute("data-label");
      }
    });
    if (on && active) {
      active.setAttribute("data-label", active.textContent);
      active.textContent = label;
    }
  }

  function progress(text) {
    var line = resultBox.querySelector(".test-progress") || element("p", "test-progress small mb-0 mt-2");
    line.textContent = text;
    resultBox.appendChild(line);
  }

  var deadline = form.getAttribute("data-test-deadline");

  form.addEventListener("submit", function (event) {
    if (busy) { event.preventDefault(); return; }
    var submitter = event.submitter;
    if (submitter && submitter.value === "switch_provider") { return; }
    var anyway = submitter && submitter.value === "save_anyway";
    // Marks only: the form's data is read after this handler, and must stay as it is.
    setBusy(true, anyway ? submitter : okButton, anyway ? "Saving anyway…" : "Saving…", true);
    progress(anyway ? "Saving…" : "Saving… a new endpoint or a changed connection is tested first (at most " + deadline + " s).");
  });

  // Back to this page from the history: nothing is in flight any more.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { setBusy(false); }
  });

  // --- field errors from a test's JSON answer: marked where they are, as the server does ---

  function fieldLabel(input) {
    var label = document.querySelector("label[for='" + input.id + "']");
    return label ? label.textContent.replace("*", "").trim() : input.name;
  }

  function unmark(input) {
    input.classList.remove("is-invalid");
    input.removeAttribute("aria-invalid");
    describedBy(input, input.id + "_error", false);
    var old = document.getElementById(input.id + "_error");
    if (old) { old.remove(); }
  }

  function clearFieldErrors() {
    Array.prototype.forEach.call(form.querySelectorAll(".is-invalid"), unmark);
  }

  function mark(input, messages) {
    unmark(input);
    input.classList.add("is-invalid");
    input.setAttribute("aria-invalid", "true");
    var feedback = element("div", "invalid-feedback");
    feedback.id = input.id + "_error";
    messages.forEach(function (message) { feedback.appendChild(element("p", "mb-0", message)); });
    input.parentNode.insertBefore(feedback, input.nextSibling);
    describedBy(input, feedback.id, true);
  }

  form.addEventListener("input", function (event) {  // a field being corrected is no longer marked
    if (event.target.classList && event.target.classList.contains("is-invalid")) { unmark(event.target); }
  });
  form.addEventListener("change", function (event) {
    if (event.target.type === "checkbox" && event.target.classList.contains("is-invalid")) { unmark(event.target); }
  });

  // --- Test Connection: ask for JSON and show the steps without leaving the page, so
  // nothing typed (the secret included) is lost ---

  function resultShell(result) {
    var box = element("div", "test-result alert mb-0 " + (result.ok ? "alert-success" : "alert-danger"));
    box.appendChild(element("p", "fw-semibold mb-1",
      result.ok ? "Connection tested successfully." : "Connection failed"));
    return box;
  }

  function badge(result) {
    return element("span", "badge text-bg-dark", result.category_label || result.category);
  }

  function verdictBox(result) {
    var box = resultShell(result);
    var summary = element("p", "mb-2", result.summary + " ");
    if (!result.ok) { summary.appendChild(badge(result)); }
    box.appendChild(summary);
    (result.warnings || []).forEach(function (w) {
      box.appendChild(element("p", "mb-1 text-warning-emphasis", "⚠ " + w));
    });
    if (result.steps.length) {
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
    }
    box.appendChild(element("p", "small text-body-secondary mb-0 mt-1", "Took " + result.elapsed_ms + " ms."));
    return box;
  }

  // Input the server refused before any network call: each field marked, and listed here
  // with a link to it.
  function invalidBox(result) {
    var box = resultShell(result);
    var intro = element("p", "mb-2", "Nothing was sent: correct the form first. ");
    intro.appendChild(badge(result));
    box.appendChild(intro);
    var list = element("ul", "mb-0 ps-3");
    Object.keys(result.errors).forEach(function (name) {
      var input = form.querySelector("[name='" + name + "']");
      result.errors[name].forEach(function (message) {
        var item = element("li");
        if (input && input.id) {
          var link = element("a", "alert-link", fieldLabel(input) + ": " + message);
          link.href = "#" + input.id;
          item.appendChild(link);
        } else {
          item.textContent = message;
        }
        list.appendChild(item);
      });
      if (input && input.id) { mark(input, result.errors[name]); }
    });
    box.appendChild(list);
    return box;
  }

  function throttledBox(result) {
    var box = element("div", "alert alert-warning mb-0");
    box.appendChild(element("p", "fw-semibold mb-1", "Not tested"));
    box.appendChild(element("p", "mb-0", result.summary));
    return box;
  }

  // Show the answer between the form and the buttons, both on screen when they fit.
  function reveal() {
    var margin = 16;
    var top = resultBox.getBoundingClientRect().top;
    var bottom = buttonRow.getBoundingClientRect().bottom;
    var room = window.innerHeight;
    if (bottom - top + 2 * margin > room || top < margin) {
      window.scrollBy(0, top - margin);
    } else if (bottom > room - margin) {
      window.scrollBy(0, bottom - room + margin);
    }
  }

  function show(result) {
    clearFieldErrors();
    var box;
    if (result.category === "throttled") {
      box = throttledBox(result);
    } else if (result.errors && Object.keys(result.errors).length) {
      box = invalidBox(result);
    } else {
      box = verdictBox(result);
    }
    resultBox.textContent = "";
    resultBox.appendChild(box);
  }

  function failure(summary) {
    return { ok: false, category: "http", summary: summary, steps: [], elapsed_ms: 0, warnings: [] };
  }

  testButton.addEventListener("click", function (event) {
    event.preventDefault();
    if (busy) { return; }
    var data = new FormData(form);
    data.set("action", "test");
    setBusy(true, testButton, "Testing Connection…", false);
    resultBox.textContent = "";
    progress("Testing the connection… (at most " + deadline + " s)");
    reveal();
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
    }).then(show).catch(function () {
      show(failure("The test could not be run: the page lost contact with harborreg. Reload and try again."));
    }).then(function () {
      setBusy(false);
      // The button that asked keeps the focus, and the answer is shown by it (unless the
      // admin has moved on meanwhile).
      if (document.activeElement === document.body || document.activeElement === testButton) {
        testButton.focus({ preventScroll: true });
        reveal();
      }
    });
  });

  // Links to fields (the error summary, "Edit the form", a test's refused input): focus the
  // field and show it with its label.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href^='#id_']");
    if (!link || !(link.closest("#error-summary") || link.closest("#test-result"))) { return; }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) { return; }
    event.preventDefault();
    (document.getElementById("div_" + target.id) || target).scrollIntoView({ block: "center" });
    target.focus({ preventScroll: true });
  });
})();
