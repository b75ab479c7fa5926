// hopscope serve: the one script of every page (served by the application; the pages work
// without it). It adds a filter box above each table of class "filterable".
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("table.filterable").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body || body.rows.length < 8) return;
    var box = document.createElement("input");
    box.type = "search";
    box.placeholder = "filter these rows";
    box.className = "rowfilter";
    box.addEventListener("input", function () {
      var q = box.value.toLowerCase();
      Array.prototype.forEach.call(body.rows, function (row) {
        row.hidden = q !== "" && row.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
    table.parentNode.insertBefore(box, table);
  });
});
