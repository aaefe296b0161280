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
