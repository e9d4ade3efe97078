/*
 * baosong portal: table sorting and filtering, register tables drawn from their data files a page at a
 * time, live "time left / overdue" texts. (Phone cards are labelled by the pages' own `data-label`
 * attributes and the stylesheet: they need no script.)
 * Part of baosong (MIT licence, see README.md in this directory). No dependencies, no network access
 * beyond the site's own data files.
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

  // The filter bar above a table (a keyword box): the same for HTML tables and data-file tables.
  function filterBar(table) {
    var bar = document.createElement("div");
    bar.className = "bs-filter";
    var input = document.createElement("input");
    input.type = "search";
    input.placeholder = "筛选：输入单位、标题、状态等关键字";
    input.setAttribute("aria-label", "筛选表格");
    bar.appendChild(input);
    return {wrap: table.closest(".bs-table-wrap") || table, bar: bar, input: input};
  }

  function makeFilterable(table) {
    var body = table.tBodies[0];
    if (!body) return;
    var parts = filterBar(table), wrap = parts.wrap, bar = parts.bar, input = parts.input;
    var count = document.createElement("span");
    count.className = "bs-filter-count";
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

  // ---- tables of any length (register, unit, incident lists): every row in a data file beside the page
  // The page holds the first rows as HTML (what shows without JavaScript); the rows, their sorting,
  // filtering and count come from the data file (portal/common.py `data_view`; its `layout` names the
  // reader in LAYOUTS below). Only one page of rows is ever in the document. Every text goes into the
  // page escaped (`h`).

  var ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" };
  function h(value) {
    return String(value).replace(/[&<>"']/g, function (c) { return ESCAPES[c]; });
  }
  var PAGE_SIZES = [50, 100, 200, 500];
  var PARAMS = ["q", "unit", "kind", "cat", "grade", "status", "sig", "sort", "dir", "page", "n"];

  function readParams() {
    var out = {};
    var search = new URLSearchParams(window.location.search);
    PARAMS.forEach(function (k) { out[k] = search.get(k) || ""; });
    return out;
  }

  function writeParams(state) {
    var search = new URLSearchParams(window.location.search);
    PARAMS.forEach(function (k) {
      if (state[k] !== "" && state[k] !== undefined && state[k] !== null) search.set(k, state[k]);
      else search.delete(k);
    });
    var query = search.toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : "") + window.location.hash);
  }

  function option(select, value, label) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    select.appendChild(o);
  }

  function selectBox(label, choices) {
    var select = document.createElement("select");
    select.setAttribute("aria-label", label);
    choices.forEach(function (c) { option(select, c[0], c[1]); });
    return select;
  }

  // A layout reads one kind of data file: the sort key of each column, a row's text for the keyword
  // filter, the select filters, and a row's cells. Paging, sorting, filtering, the count and the URL
  // are the same for every layout (DataTable below).
  function tableFilter(param, column, choices, label, all) {
    return { param: param, column: column, choices: choices, label: label, all: all, extra: [], test: null };
  }

  function link(href, text) {
    return '<a href="' + h(href) + '">' + h(text) + "</a>";
  }

  function unitHtml(unit) {
    return !unit ? "—" : unit[2] ? link(unit[2], unit[1]) : h(unit[1]);
  }

  function timeHtml(t) { return t ? h(t) : "—"; }

  var LAYOUTS = {};

  // Register and unit tables (portal/common.py `register_data`).
  LAYOUTS.register = function (d) {
    var S = d.strings, U = d.units, ST = d.statuses, SG = d.signatures;
    var keys = [function (r) { return r[0]; }];
    if (d.unit_column) keys.push(function (r) { return r[1] < 0 ? "" : U[r[1]][1]; });
    keys.push(function (r) { return S[r[3]]; }, function (r) { return r[4]; }, function (r) { return r[6]; },
              function (r) { return r[7]; }, function (r) { return r[8]; }, function (r) { return r[9]; },
              function (r) { return ST[r[11]][2]; }, function (r) { return S[r[12]]; },
              function (r) { return r[13] < 0 ? 9 : SG[r[13]][2]; }, function (r) { return S[r[14]]; });
    var filters = [];
    if (d.unit_column) filters.push(tableFilter("unit", 1, U, "按单位筛选", "全部单位"));
    filters.push(tableFilter("kind", 2, d.kinds, "按类别筛选", "全部类别"),
                 tableFilter("status", 11, ST, "按状态筛选", "全部状态"));
    var sig = tableFilter("sig", 13, SG, "按签名筛选", "全部签名");
    sig.extra = [["ok", "签名有效"], ["bad", "签名有问题"]];
    sig.test = function (value) {
      if (value === "ok") return function (r) { return r[13] >= 0 && SG[r[13]][2] === 0; };
      if (value === "bad") return function (r) { return r[13] < 0 || SG[r[13]][2] !== 0; };
      return null;
    };
    filters.push(sig);
    return {
      keys: keys,
      filters: filters,
      text: function (r) {
        return [r[0], r[1] < 0 ? "" : U[r[1]][1], S[r[3]], r[4], r[6], r[7], r[8], S[r[10]],
                ST[r[11]][1], S[r[12]], r[13] < 0 ? "" : SG[r[13]][1], S[r[14]]].join(" ");
      },
      cells: function (r, td) {
        var out = td(h(r[0]), "bs-c-serial");
        if (d.unit_column) out += td(unitHtml(r[1] < 0 ? null : U[r[1]]));
        var status = ST[r[11]], g = r[13] < 0 ? null : SG[r[13]];
        return out + td(h(S[r[3]])) + td(link(d.reports + r[5] + ".html", r[4]), "bs-c-title") +
          td(timeHtml(r[6])) + td(timeHtml(r[7])) + td(timeHtml(r[8])) + td(h(S[r[10]])) +
          td('<span class="bs-status bs-status-' + h(status[0]) + '">' + h(status[1]) + "</span>") +
          td(h(S[r[12]])) +
          td(g ? '<span class="' + (g[2] === 0 ? "bs-sig-ok" : "bs-sig-bad") + '">' + h(g[1]) + "</span>" : "—") +
          td(h(S[r[14]]));
      }
    };
  };

  // The list of all incidents (portal/incidents.py `incident_data`).
  LAYOUTS.incidents = function (d) {
    var S = d.strings, U = d.units, C = d.categories, G = d.grades, ST = d.states;
    var label = function (table_, i) { return i < 0 ? "—" : table_[i][1]; };
    return {
      keys: [function (r) { return r[0]; }, function (r) { return r[2] < 0 ? "" : U[r[2]][1]; },
             function (r) { return label(C, r[3]); }, function (r) { return r[4] < 0 ? "Z" : G[r[4]][0]; },
             function (r) { return r[5]; }, function (r) { return r[6]; }, function (r) { return r[7]; },
             function (r) { return r[9]; }, function (r) { return S[r[10]]; }],
      filters: [tableFilter("unit", 2, U, "按单位筛选", "全部单位"), tableFilter("cat", 3, C, "按类别筛选", "全部类别"),
                tableFilter("grade", 4, G, "按等级筛选", "全部等级"), tableFilter("status", 7, ST, "按状态筛选", "全部状态")],
      text: function (r) {
        return [r[0], r[2] < 0 ? "" : U[r[2]][1], label(C, r[3]), label(G, r[4]), r[5], r[6],
                ST[r[7]][1], r[8], r[9], S[r[10]]].join(" ");
      },
      cells: function (r, td) {
        var state = r[7] === 0 ? '<span class="bs-state bs-open">处置中</span>'
          : '<span class="bs-state bs-closed">已终报（' + h(r[8]) + "）</span>";
        return td(link(d.pages + r[1] + ".html", r[0]), "bs-c-title") + td(unitHtml(r[2] < 0 ? null : U[r[2]])) +
          td(h(label(C, r[3]))) + td(h(label(G, r[4]))) + td(timeHtml(r[5])) + td(h(r[6])) + td(state) +
          td(r[9] ? h(r[9]) : "—") + td(h(S[r[10]]));
      }
    };
  };

  function DataTable(table, data) {
    this.table = table;
    this.data = data;
    this.rows = data.rows;
    this.texts = null;
    this.layout = (LAYOUTS[data.layout || "register"] || LAYOUTS.register)(data);
    this.pageSize = Number(table.getAttribute("data-page-size")) || 50;
    this.state = readParams();
    this.build();
  }

  DataTable.prototype.text = function (i) {
    // Lower-case text of a row, as the keyword filter reads it (computed once, on the first keyword).
    if (!this.texts) {
      var text = this.layout.text;
      this.texts = this.rows.map(function (r) { return text(r).toLowerCase(); });
    }
    return this.texts[i];
  };

  DataTable.prototype.build = function () {
    var self = this, table = this.table;
    var parts = filterBar(table), wrap = parts.wrap, bar = parts.bar, input = parts.input;
    input.value = this.state.q;
    var present = function (table_, column) {
      // The choices some row has, in the order of the data file.
      var seen = {};
      self.rows.forEach(function (r) { if (r[column] >= 0) seen[r[column]] = true; });
      return table_.filter(function (x, i) { return seen[i]; }).map(function (x) { return [x[0], x[1]]; });
    };
    var selects = {};
    this.layout.filters.forEach(function (f) {
      selects[f.param] = selectBox(f.label, [["", f.all]].concat(f.extra, present(f.choices, f.column)));
    });
    Object.keys(selects).forEach(function (k) {
      selects[k].value = self.state[k];
      if (selects[k].value !== self.state[k]) { selects[k].value = ""; self.state[k] = ""; }
      bar.appendChild(selects[k]);
    });
    var count = document.createElement("span");
    count.className = "bs-filter-count";
    count.setAttribute("aria-live", "polite");
    bar.appendChild(count);
    wrap.parentNode.insertBefore(bar, wrap);

    var pager = document.createElement("div");
    pager.className = "bs-pager";
    var prev = document.createElement("button");
    prev.type = "button";
    prev.textContent = "上一页";
    var next = document.createElement("button");
    next.type = "button";
    next.textContent = "下一页";
    var where = document.createElement("span");
    where.className = "bs-pager-where";
    var size = selectBox("每页行数", PAGE_SIZES.map(function (n) { return [String(n), "每页 " + n + " 行"]; }));
    var n = Number(this.state.n);
    this.state.n = n >= 1 && n <= 1000 && Math.floor(n) === n ? String(n) : "";
    if (this.state.n && PAGE_SIZES.indexOf(n) < 0) option(size, this.state.n, "每页 " + n + " 行");
    size.value = this.state.n || String(this.pageSize);
    pager.appendChild(prev);
    pager.appendChild(where);
    pager.appendChild(next);
    pager.appendChild(size);
    wrap.parentNode.insertBefore(pager, wrap.nextSibling);
    var more = wrap.parentNode.querySelector("[data-bs-more]");
    if (more) more.hidden = true;
    this.els = { input: input, selects: selects, count: count, prev: prev, next: next, where: where, size: size };

    var headers = table.tHead.rows[0].cells;
    this.headers = headers;
    Array.prototype.forEach.call(headers, function (th, index) {
      th.classList.add("bs-sort");
      th.setAttribute("tabindex", "0");
      th.setAttribute("title", "点击排序");
      var go = function () {
        var same = String(index) === self.state.sort;
        self.state.dir = same && self.state.dir !== "desc" ? "desc" : "asc";
        self.state.sort = String(index);
        self.state.page = "";
        self.update(true);
      };
      th.addEventListener("click", go);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); go(); }
      });
    });
    input.addEventListener("input", function () { self.state.q = input.value; self.state.page = ""; self.update(false); });
    Object.keys(selects).forEach(function (k) {
      selects[k].addEventListener("change", function () { self.state[k] = selects[k].value; self.state.page = ""; self.update(false); });
    });
    prev.addEventListener("click", function () { self.state.page = String(self.page - 1); self.update(false); self.scrollIntoView(); });
    next.addEventListener("click", function () { self.state.page = String(self.page + 1); self.update(false); self.scrollIntoView(); });
    size.addEventListener("change", function () {
      self.state.n = size.value === String(self.pageSize) ? "" : size.value;
      self.state.page = "";
      self.update(false);
    });
    this.update(true);
  };

  DataTable.prototype.scrollIntoView = function () {
    var top = this.table.getBoundingClientRect().top;
    if (top < 0) this.table.scrollIntoView();
  };

  DataTable.prototype.ordered = function () {
    // Row indices in display order: arrival order (as in the file), or sorted by a column.
    var column = Number(this.state.sort), key = this.layout.keys[column];
    var order = this.rows.map(function (_, i) { return i; });
    if (this.state.sort === "" || !key) return order;
    var rows = this.rows, values = rows.map(key);
    var desc = this.state.dir === "desc";
    var numeric = values.every(function (v) { return typeof v === "number"; });
    order.sort(function (a, b) {
      var c = numeric ? values[a] - values[b] : compare(String(values[a]), String(values[b]));
      if (c === 0) c = a - b;
      return desc ? -c : c;
    });
    return order;
  };

  DataTable.prototype.matches = function () {
    var s = this.state, self = this;
    var terms = s.q.toLowerCase().split(/\s+/).filter(Boolean);
    var tests = [];
    this.layout.filters.forEach(function (f) {
      var value = s[f.param];
      if (!value) return;
      var test = f.test ? f.test(value) : null;
      if (!test) {
        var wanted = -2;
        for (var i = 0; i < f.choices.length; i++) if (f.choices[i][0] === value) wanted = i;
        test = function (r) { return r[f.column] === wanted; };
      }
      tests.push(test);
    });
    return { active: terms.length + tests.length > 0, test: function (r, i) {
      for (var t = 0; t < tests.length; t++) if (!tests[t](r)) return false;
      if (!terms.length) return true;
      var text = self.text(i);
      for (var j = 0; j < terms.length; j++) if (text.indexOf(terms[j]) === -1) return false;
      return true;
    } };
  };

  DataTable.prototype.update = function (resort) {
    if (resort || !this.order) this.order = this.ordered();
    var filter = this.matches(), rows = this.rows;
    var shown = filter.active ? this.order.filter(function (i) { return filter.test(rows[i], i); }) : this.order;
    var size = Number(this.state.n) || this.pageSize;
    var pages = Math.max(1, Math.ceil(shown.length / size));
    var page = Math.min(Math.max(1, Number(this.state.page) || 1), pages);
    this.page = page;
    this.state.page = page > 1 ? String(page) : "";
    var html = [];
    var end = Math.min(shown.length, page * size);
    for (var i = (page - 1) * size; i < end; i++) html.push(this.rowHtml(rows[shown[i]]));
    this.table.tBodies[0].innerHTML = html.join("");
    var total = rows.length;
    this.els.count.textContent = filter.active ? "显示 " + shown.length + " / " + total + " 行" : "共 " + total + " 行";
    this.els.where.textContent = shown.length ? "第 " + page + " / " + pages + " 页（第 " + ((page - 1) * size + 1) +
      "–" + end + " 行）" : "没有符合条件的行";
    this.els.prev.disabled = page <= 1;
    this.els.next.disabled = page >= pages;
    var sort = this.state.sort, dir = this.state.dir;
    Array.prototype.forEach.call(this.headers, function (th, index) {
      if (sort !== "" && String(index) === sort) th.setAttribute("aria-sort", dir === "desc" ? "descending" : "ascending");
      else th.removeAttribute("aria-sort");
    });
    writeParams(this.state);
    if (!this.table.hasAttribute("data-bs-ready")) {
      this.table.setAttribute("data-bs-ready", "1");
      // When the full table became usable (bench/bench_pages.py reads it).
      if (window.performance && performance.mark) performance.mark("bs-table-ready");
    }
  };

  DataTable.prototype.rowHtml = function (r) {
    // Every cell carries its column's name (data-label), as the cells the page was built with.
    var names = this.data.columns, c = 0;
    var td = function (inner, cls) {
      return "<td" + (cls ? ' class="' + cls + '"' : "") + ' data-label="' + h(names[c++]) + '">' + inner + "</td>";
    };
    return "<tr>" + this.layout.cells(r, td) + "</tr>";
  };

  function loadDataTable(table) {
    var url = table.getAttribute("data-rows");
    window.fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (data) {
      new DataTable(table, data);
    }).catch(function (error) {
      var more = table.closest(".bs-table-wrap").parentNode.querySelector("[data-bs-more]");
      if (more) more.insertAdjacentText("afterbegin", "（完整列表载入失败：" + error.message + "）");
    });
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
    document.querySelectorAll("table[data-rows]").forEach(loadDataTable);
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
