// Registries list: select-all, bulk buttons enabled only with a selection,
// page size applied on change. Everything works without this file.
(function () {
  "use strict";
  var selectAll = document.getElementById("select-all");
  var rows = Array.prototype.slice.call(document.querySelectorAll(".row-select"));
  var bulkButtons = document.querySelectorAll("[data-needs-selection]");

  function refresh() {
    var count = rows.filter(function (box) { return box.checked; }).length;
    bulkButtons.forEach(function (button) { button.disabled = count === 0; });
    if (selectAll) {
      selectAll.checked = count > 0 && count === rows.length;
      selectAll.indeterminate = count > 0 && count < rows.length;
    }
  }
  if (selectAll) {
    selectAll.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = selectAll.checked; });
      refresh();
    });
  }
  rows.forEach(function (box) { box.addEventListener("change", refresh); });
  refresh();
  // Back/forward restores ticked boxes after this script ran: count them again.
  window.addEventListener("pageshow", refresh);

  var perPage = document.getElementById("per_page");
  if (perPage) {
    perPage.addEventListener("change", function () { perPage.form.submit(); });
  }
})();

// Live statuses: every data-refresh-seconds (30) the visible rows' status, "checked N min
// ago" and warnings are read from the status JSON and updated in place, without a reload;
// a change of status is announced politely (not every refresh); polling pauses while the
// tab is hidden and runs at once when it is back. The banner follows the monitor.
(function () {
  "use strict";
  var table = document.getElementById("registry-table");
  if (!table || !window.fetch || !window.Promise) { return; }
  var url = table.getAttribute("data-status-url");
  var every = (parseFloat(table.getAttribute("data-refresh-seconds")) || 30) * 1000;
  var announcer = document.getElementById("status-changes");
  var banner = document.getElementById("monitor-banner");
  var BADGES = { healthy: "text-bg-success", unhealthy: "text-bg-danger", unknown: "text-bg-secondary" };
  var rows = {};
  Array.prototype.forEach.call(table.querySelectorAll("tr[data-registry-id]"), function (row) {
    rows[row.getAttribute("data-registry-id")] = row;
  });
  var ids = Object.keys(rows);
  if (!ids.length) { return; }
  var timer = null;
  var delay = every;

  function lookahead(list, items) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    items.forEach(function (item) {
      var entry = document.createElement("li");
      entry.className = item.warning ? "lookahead-warning" : "text-body-secondary";
      entry.title = item.text;
      if (item.warning) {
        var sign = document.createElement("span");
        sign.setAttribute("aria-hidden", "true");
        sign.textContent = "⚠ ";
        var words = document.createElement("span");
        words.className = "visually-hidden";
        words.textContent = "Warning: ";
        entry.appendChild(sign);
        entry.appendChild(words);
      }
      entry.appendChild(document.createTextNode(item.short));
      list.appendChild(entry);
    });
  }

  function apply(data) {
    var changed = [];
    data.registries.forEach(function (item) {
      var row = rows[String(item.id)];
      if (!row) { return; }
      var badge = row.querySelector("td.col-status .badge");
      if (badge) {
        badge.className = "badge " + (BADGES[item.status] || BADGES.unknown);
        badge.textContent = item.status_label;
        badge.title = item.title;
      }
      var ago = row.querySelector(".js-checked-ago");
      if (ago) { ago.textContent = item.checked_ago; }
      var list = row.querySelector(".js-lookahead");
      if (list) { lookahead(list, item.lookahead); }
      if (row.getAttribute("data-status") !== item.status) {
        var link = row.querySelector(".col-name a");
        changed.push((link ? link.textContent : "An endpoint") + " is now " + item.status_label + ".");
        row.setAttribute("data-status", item.status);
      }
    });
    if (changed.length && announcer) { announcer.textContent = changed.join(" "); }
    if (banner) {
      if (data.monitor.running) {
        banner.hidden = true;
      } else {
        if (!banner.textContent.trim() || banner.getAttribute("data-live") === "true") {
          banner.textContent = data.monitor.banner;
          banner.setAttribute("data-live", "true");
        }
        banner.hidden = false;
      }
    }
  }

  function schedule() {
    window.clearTimeout(timer);
    if (document.visibilityState !== "hidden") { timer = window.setTimeout(refresh, delay); }
  }

  function refresh() {
    window.clearTimeout(timer);
    fetch(url + "?ids=" + ids.join(","), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) { apply(data); delay = every; })
      .catch(function () { delay = Math.min(delay * 2, 10 * every); })  // logged out, server away: slower
      .then(schedule);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { refresh(); } else { window.clearTimeout(timer); }
  });
  schedule();
})();
