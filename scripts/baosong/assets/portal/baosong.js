/*
 * baosong portal: table sorting and filtering, live "time left / overdue" texts.
 * Part of baosong (MIT licence, see README.md in this directory). No dependencies, no network access.
 */
(function () {
  "use strict";

  var collator = typeof Intl !== "undefined" && Intl.Collator ? new Intl.Collator("zh-CN", { numeric: true }) : null;

  function cellKey(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var key = cell.getAttribute("data-sort");
    return key !== null ? key : (cell.textContent || "").trim();
  }

  function compare(a, b) {
    var na = Number(a), nb = Number(b);
    if (a !== "" && b !== "" && !isNaN(na) && !isNaN(nb)) return na - nb;
    if (collator) return collator.compare(a, b);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function sortTable(table, index, th) {
    var body = table.tBodies[0];
    if (!body) return;
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
      return { row: row, key: cellKey(row, index), i: i };
    });
    rows.sort(function (x, y) {
      var c = compare(x.key, y.key);
      if (c === 0) c = x.i - y.i;
      return ascending ? c : -c;
    });
    var fragment = document.createDocumentFragment();
    rows.forEach(function (r) { fragment.appendChild(r.row); });
    body.appendChild(fragment);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
      other.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function makeSortable(table) {
    if (!table.tHead || !table.tHead.rows.length) return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      th.classList.add("bs-sort");
      th.setAttribute("tabindex", "0");
      th.setAttribute("title", "点击排序");
      th.addEventListener("click", function () { sortTable(table, index, th); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortTable(table, index, th);
        }
      });
    });
  }

  function makeFilterable(table) {
    var body = table.tBodies[0];
    if (!body) return;
    var wrap = table.closest(".bs-table-wrap") || table;
    var bar = document.createElement("div");
    bar.className = "bs-filter";
    var input = document.createElement("input");
    input.type = "search";
    input.placeholder = "筛选：输入单位、标题、状态等关键字";
    input.setAttribute("aria-label", "筛选表格");
    var count = document.createElement("span");
    count.className = "bs-filter-count";
    bar.appendChild(input);
    bar.appendChild(count);
    wrap.parentNode.insertBefore(bar, wrap);
    var texts = new Map();  // row -> lower-case text, computed once per row
    function update() {
      var rows = body.rows;
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        var text = texts.get(row);
        if (text === undefined) {
          text = (row.textContent || "").toLowerCase();
          texts.set(row, text);
        }
        var ok = terms.every(function (t) { return text.indexOf(t) !== -1; });
        row.hidden = !ok;
        if (ok) shown++;
      }
      count.textContent = terms.length ? "显示 " + shown + " / " + rows.length + " 行" : "共 " + rows.length + " 行";
    }
    input.addEventListener("input", update);
    update();
  }

  function duration(minutes) {
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    var parts = [];
    if (days) parts.push(days + "天");
    if (hours) parts.push(hours + "小时");
    if (mins || !parts.length) parts.push(mins + "分钟");
    return parts.slice(0, 2).join("");
  }

  function refreshDue() {
    var now = Date.now();
    document.querySelectorAll(".bs-due[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var minutes = Math.round((due - now) / 60000);
      if (minutes >= 0) {
        el.textContent = "还有 " + duration(Math.max(1, minutes));
        el.classList.remove("bs-overdue");
      } else {
        el.textContent = "已超期 " + duration(Math.max(1, -minutes));
        el.classList.add("bs-overdue");
      }
    });
  }

  function init() {
    document.querySelectorAll("table.bs-sortable").forEach(makeSortable);
    document.querySelectorAll("table.bs-filterable").forEach(makeFilterable);
    if (document.querySelector(".bs-due[data-due]")) {
      refreshDue();
      window.setInterval(refreshDue, 30000);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
