// hopscope report: hop details, the login-volume timeline and the tables, drawn from the
// document embedded in #report-data (and the hop list of the path diagram in #report-hops).
// No framework, no network. Every string from the document is inserted with textContent.
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var doc = readJson("report-data") || {};
  var hops = readJson("report-hops") || [];
  var TECHNIQUES = {
    "T1021": "Remote Services", "T1021.001": "Remote Desktop Protocol", "T1021.002": "SMB/Windows Admin Shares",
    "T1021.004": "SSH", "T1021.006": "Windows Remote Management", "T1078": "Valid Accounts",
    "T1110": "Brute Force", "T1550.002": "Pass the Hash", "T1569.002": "Service Execution"
  };
  var SEVERITY = { critical: 0, high: 1, medium: 2, low: 3 };

  function readJson(id) {
    var node = document.getElementById(id);
    try { return node ? JSON.parse(node.textContent) : null; } catch (e) { return null; }
  }

  // element with a class and text (never HTML)
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function str(v) { return v === null || v === undefined ? "" : String(v); }
  function when(t) { return t ? String(t).replace("T", " ").replace(/(\.\d+)?Z$/, "") : ""; }
  function ms(t) { var v = Date.parse(t); return isNaN(v) ? null : v; }
  function evidenceText(e) {
    if (!e || typeof e !== "object") return "";
    if (e.line !== undefined && e.line !== null) return str(e.file) + ":" + e.line;
    if (e.record !== undefined && e.record !== null) return str(e.file) + " record " + e.record;
    return str(e.file);
  }
  function list(v) { return Array.isArray(v) ? v : []; }

  // ---- hop selection and the detail panel ----

  function alertReason(hop) {
    var a = doc.alert;
    if (!a) return "";
    var ah = list(a.hops);
    for (var i = 0; i < ah.length; i++) {
      if (ah[i].time === hop.time && ah[i].src_host === hop.src_host && ah[i].dst_host === hop.dst_host) {
        return str(list(a.reasons)[i]);
      }
    }
    return "";
  }

  function selectHop(i, scroll) {
    var hop = hops[i];
    if (!hop) return;
    var marked = document.querySelectorAll(".selected");
    for (var k = 0; k < marked.length; k++) marked[k].classList.remove("selected");
    var nodes = document.querySelectorAll('[data-hop-index="' + i + '"], tr[data-hop="' + i + '"], [data-hop-mark="' + i + '"]');
    for (k = 0; k < nodes.length; k++) nodes[k].classList.add("selected");
    var panel = document.getElementById("hop-detail");
    if (!panel) return;
    panel.textContent = "";
    panel.classList.add("filled");
    panel.appendChild(el("h3", null, "Hop " + (i + 1) + ": " + str(hop.src_host) + " → " + str(hop.dst_host)));
    var dl = el("dl");
    function row(label, value) {
      if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return;
      dl.appendChild(el("dt", null, label));
      var dd = el("dd");
      if (value instanceof Node) dd.appendChild(value); else dd.textContent = String(value);
      dl.appendChild(dd);
    }
    function place(end) {
      var parts = [hop[end + "_site"], hop[end + "_country"]].filter(function (x) { return x; });
      return str(hop[end + "_host"]) + (parts.length ? " (" + parts.join(", ") + ")" : "");
    }
    function ul(items, cls) {
      var u = el("ul", cls);
      items.forEach(function (t) { u.appendChild(el("li", null, t)); });
      return items.length ? u : null;
    }
    row("Time", when(hop.time) + " UTC");
    row("From", place("src"));
    row("To", place("dst"));
    row("Account", hop.user);
    row("Auth", hop.auth);
    row("Logon type", hop.logon_type);
    row("Score", typeof hop.score === "number" ? hop.score + " bits" : "");
    row("Features", ul(list(hop.features).map(function (f) { return str(f.name) + " (" + str(f.bits) + " bits)"; })));
    row("ATT&CK", ul(list(hop.techniques).map(function (t) { return t + (TECHNIQUES[t] ? " " + TECHNIQUES[t] : ""); })));
    row("Why", alertReason(hop) || list(hop.reasons).join("; "));
    row("Evidence", ul(list(hop.evidence).map(evidenceText), "evidence-list"));
    panel.appendChild(dl);
    if (scroll && panel.scrollIntoView) panel.scrollIntoView({ block: "nearest" });
  }

  function wireHops() {
    var nodes = document.querySelectorAll("[data-hop-index]");
    for (var k = 0; k < nodes.length; k++) {
      (function (node) {
        var i = Number(node.getAttribute("data-hop-index"));
        node.addEventListener("click", function () { selectHop(i, true); });
        node.addEventListener("keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); selectHop(i, true); }
        });
      })(nodes[k]);
    }
    document.addEventListener("click", function (e) {
      var tr = e.target.closest ? e.target.closest("tr[data-hop]") : null;
      if (tr) selectHop(Number(tr.getAttribute("data-hop")), true);
    });
    document.addEventListener("keydown", function (e) {
      var tr = e.target.closest ? e.target.closest("tr[data-hop]") : null;
      if (tr && e.key === "Enter") selectHop(Number(tr.getAttribute("data-hop")), true);
    });
  }

  // ---- sortable, filterable tables ----

  // Adds a filter box, a row count and sorting by header to a table already in the page.
  function interactive(block, table, name) {
    var tbody = table.tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
    var tools = el("div", "table-tools");
    var input = el("input");
    input.type = "search";
    input.placeholder = "Filter " + name + "…";
    input.setAttribute("aria-label", "Filter " + name);
    var count = el("span", "count");
    count.setAttribute("aria-live", "polite");
    tools.appendChild(input);
    tools.appendChild(count);
    block.insertBefore(tools, block.firstChild);
    function showCount(shown) {
      count.textContent = shown === rows.length ? rows.length + " rows" : shown + " of " + rows.length + " rows";
    }
    showCount(rows.length);
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
        var shown = 0;
        for (var i = 0; i < rows.length; i++) {
          var ok = terms.every(function (t) { return texts[i].indexOf(t) >= 0; });
          rows[i].hidden = !ok;
          if (ok) shown++;
        }
        showCount(shown);
      }, 60);
    });
    heads.forEach(function (th, col) {
      var type = th.getAttribute("data-type") || "text";
      var label = th.textContent;
      th.textContent = "";
      var b = el("button", null, label);
      b.type = "button";
      b.title = "Sort by " + label;
      th.appendChild(b);
      b.addEventListener("click", function () {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var keyed = rows.map(function (r, i) {
          var c = r.cells[col];
          var raw = c ? (c.hasAttribute("data-sort") ? c.getAttribute("data-sort") : c.textContent) : "";
          var key = raw;
          if (type === "num") { key = parseFloat(raw); if (isNaN(key)) key = -Infinity; }
          else if (type === "time") { key = ms(raw); if (key === null) key = -Infinity; }
          else key = raw.toLowerCase();
          return { row: r, key: key, i: i, text: texts[i] };
        });
        keyed.sort(function (x, y) {
          return (x.key < y.key ? -dir : x.key > y.key ? dir : 0) || x.i - y.i;
        });
        var frag = document.createDocumentFragment();
        keyed.forEach(function (k, i) { frag.appendChild(k.row); rows[i] = k.row; texts[i] = k.text; });
        tbody.appendChild(frag);
      });
    });
  }

  // Builds a table from rows of the document. columns: {label, type, value(row) -> text,
  // sort(row) -> key (optional), cell(row, td) (optional, fills the cell itself)}.
  function dataTable(containerId, name, columns, rows, empty, rowAttr) {
    var container = document.getElementById(containerId);
    if (!container) return;
    if (!rows || !rows.length) { container.appendChild(el("p", "empty", empty)); return; }
    var block = el("div", "table-block");
    var wrap = el("div", "table-wrap");
    var table = el("table", "data");
    var head = el("thead");
    var tr = el("tr");
    columns.forEach(function (c) {
      var th = el("th", null, c.label);
      th.scope = "col";
      th.setAttribute("data-type", c.type || "text");
      tr.appendChild(th);
    });
    head.appendChild(tr);
    table.appendChild(head);
    var body = el("tbody");
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) {
      var row = el("tr");
      if (rowAttr) rowAttr(r, row);
      columns.forEach(function (c) {
        var td = el("td");
        if (c.cell) c.cell(r, td); else td.textContent = str(c.value(r));
        if (c.cls) td.className = c.cls;
        else if (c.nowrap || c.type === "time" || c.type === "num") td.classList.add("nowrap");
        if (c.sort) td.setAttribute("data-sort", str(c.sort(r)));
        row.appendChild(td);
      });
      frag.appendChild(row);
    });
    body.appendChild(frag);
    table.appendChild(body);
    wrap.appendChild(table);
    block.appendChild(wrap);
    container.appendChild(block);
    interactive(block, table, name);
  }

  function tag(text, cls) { return el("span", "tag " + (cls || ""), text); }
  function viaText(h) {
    var v = h.via;
    if (v && typeof v === "object") {
      return str(v.src_host) + " → " + str(v.dst_host) + " as " + str(v.user) + " (" + str(v.auth) + ") " + when(v.time) +
        (v.evidence ? "\n" + evidenceText(v.evidence) : "");
    }
    return str(h.via_reason);
  }

  function tables() {
    var scope = doc.scope;
    var noScope = doc.alert ? "No scope in this document." : "No alert in this case, so no scope.";
    dataTable("hosts-table", "hosts", [
      { label: "host", value: function (h) { return h.host; }, nowrap: true },
      { label: "tier", value: function (h) { return h.tier; }, cell: function (h, td) { td.appendChild(tag(str(h.tier), h.tier === "observed" ? "observed" : "")); } },
      { label: "compromised at", type: "time", value: function (h) { return when(h.compromised_at); }, sort: function (h) { return h.compromised_at; } },
      { label: "exposed until", type: "time", value: function (h) { return when(h.exposed_until); }, sort: function (h) { return h.exposed_until; } },
      { label: "days", type: "num", value: function (h) { return h.exposure_days; } },
      { label: "site", value: function (h) { return h.site; } },
      { label: "country", value: function (h) { return h.country; } },
      { label: "via", value: viaText, cls: "pre" }
    ], scope && list(scope.hosts), noScope);
    dataTable("accounts-table", "accounts", [
      { label: "account", value: function (a) { return a.account; }, nowrap: true },
      { label: "exposed at", type: "time", value: function (a) { return when(a.exposed_at); }, sort: function (a) { return a.exposed_at; } },
      { label: "exposed until", type: "time", value: function (a) { return when(a.exposed_until); }, sort: function (a) { return a.exposed_until; } },
      { label: "exposed on", value: function (a) { return a.exposed_on; } },
      { label: "spread", type: "num", value: function (a) { return a.spread; } },
      { label: "evidence", value: function (a) { return evidenceText(a.evidence); }, cell: function (a, td) { td.className = "mono"; td.textContent = evidenceText(a.evidence); } }
    ], scope && list(scope.accounts), noScope);
    dataTable("clients-table", "clients", [
      { label: "client", value: function (c) { return c.client; } },
      { label: "restricted", value: function (c) { return c.restricted ? "restricted" : ""; }, cell: function (c, td) { if (c.restricted) td.appendChild(tag("restricted", "restricted")); } },
      { label: "tier", value: function (c) { return c.tier; } },
      { label: "hosts", value: function (c) { return list(c.hosts).join(", "); } },
      { label: "data", value: function (c) { return list(c.data_classes).join(", "); } },
      { label: "records", type: "num", value: function (c) { return c.records; } },
      { label: "earliest exposure", type: "time", value: function (c) { return when(c.earliest_exposure); }, sort: function (c) { return c.earliest_exposure; } }
    ], scope && list(scope.clients), noScope);
    var audit = doc.audit;
    dataTable("audit-table", "findings", [
      { label: "severity", type: "num", value: function (f) { return f.severity; }, sort: function (f) { return SEVERITY[f.severity] === undefined ? 9 : SEVERITY[f.severity]; },
        cell: function (f, td) { td.appendChild(el("span", "sev sev-" + str(f.severity).replace(/[^a-z]/g, ""), f.severity)); } },
      { label: "kind", value: function (f) { return f.kind; }, nowrap: true },
      { label: "host", value: function (f) { return f.host; }, nowrap: true },
      { label: "detail", value: function (f) { return f.detail; }, cls: "prose" },
      { label: "count", type: "num", value: function (f) { return f.count; } },
      { label: "first", type: "time", value: function (f) { return f.first ? when(f.first.time) + "\n" + evidenceText(f.first.evidence) : ""; }, sort: function (f) { return f.first ? f.first.time : ""; }, cls: "pre" },
      { label: "last", type: "time", value: function (f) { return f.last ? when(f.last.time) + "\n" + evidenceText(f.last.evidence) : ""; }, sort: function (f) { return f.last ? f.last.time : ""; }, cls: "pre" }
    ], audit && list(audit.findings), audit ? "The audit found no weakness." : "No audit in this document.");
    var evidence = [];
    hops.forEach(function (h, i) {
      list(h.evidence).forEach(function (e, k) { evidence.push({ hop: i, h: h, e: e, role: k === 0 ? "the hop" : "supporting" }); });
    });
    dataTable("evidence-table", "evidence", [
      { label: "hop", type: "num", value: function (r) { return r.hop + 1; } },
      { label: "time (UTC)", type: "time", value: function (r) { return when(r.h.time); }, sort: function (r) { return r.h.time; } },
      { label: "from → to", value: function (r) { return str(r.h.src_host) + " → " + str(r.h.dst_host); } },
      { label: "account", value: function (r) { return r.h.user; } },
      { label: "evidence", value: function (r) { return evidenceText(r.e); }, cell: function (r, td) { td.className = "mono"; td.textContent = evidenceText(r.e); } },
      { label: "role", value: function (r) { return r.role; } }
    ], evidence, hops.length ? "The hops carry no evidence references." : "No hops, so no evidence.",
    function (r, tr) { tr.setAttribute("data-hop", String(r.hop)); tr.tabIndex = 0; });
    var selected = doc.alert ? doc.alert.id : null;
    dataTable("alerts-table", "alerts", [
      { label: "alert", value: function (a) { return a.id; }, nowrap: true,
        cell: function (a, td) { td.textContent = str(a.id); if (a.id === selected) td.appendChild(tag("this report", "observed")); } },
      { label: "score", type: "num", value: function (a) { return a.score; } },
      { label: "raised at", type: "time", value: function (a) { return when(a.raised_at); }, sort: function (a) { return a.raised_at; } },
      { label: "entry host", value: function (a) { return a.entry_host; }, nowrap: true },
      { label: "hops", type: "num", value: function (a) { return list(a.hops).length + (a.hops_omitted ? a.hops_omitted : 0); } },
      { label: "path", value: function (a) {
        var h = list(a.hops);
        return h.length ? [h[0].src_host].concat(h.map(function (x) { return x.dst_host; })).join(" → ") : "";
      }, cls: "path" },
      { label: "why (first hop)", value: function (a) { return list(a.reasons)[0]; }, cls: "prose" }
    ], list(doc.alerts), "No alert in this case.");
    var hopBlock = document.querySelector('[data-table="hops"]');
    var hopTable = document.getElementById("hop-table");
    if (hopBlock && hopTable) interactive(hopBlock, hopTable, "hops");
  }

  // ---- the login-volume timeline ----

  var NICE = [1, 2, 3, 6, 12, 24, 48, 168, 336, 720, 2160, 8760];
  var STEPS = [3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400, 365 * 86400];

  function timeline() {
    var host = document.getElementById("timeline");
    if (!host) return;
    var act = doc.activity || {};
    var logins = list(act.logins), failures = list(act.failures);
    var start = ms(act.start), bucket = Number(act.bucket_seconds) * 1000;
    var n = Math.max(logins.length, failures.length);
    if (!n || start === null || !(bucket > 0)) { host.appendChild(el("p", "empty", "No login counts in this document.")); return; }
    // prefix sums: any range of buckets sums in O(1), so every zoom level redraws fast
    var pl = [0], pf = [0];
    for (var i = 0; i < n; i++) { pl.push(pl[i] + (Number(logins[i]) || 0)); pf.push(pf[i] + (Number(failures[i]) || 0)); }
    var view = { a: 0, b: n };
    var tools = el("div", "timeline-tools");
    function button(text, label, fn) {
      var b = el("button", null, text);
      b.type = "button"; b.title = label; b.setAttribute("aria-label", label);
      b.addEventListener("click", fn);
      tools.appendChild(b);
    }
    button("−", "Zoom out", function () { zoom(2, 0.5); });
    button("+", "Zoom in", function () { zoom(0.5, 0.5); });
    button("←", "Earlier", function () { pan(-0.25); });
    button("→", "Later", function () { pan(0.25); });
    button("Reset", "Show everything", function () { set(0, n); });
    var hopTimes = hops.map(function (h) { return ms(h.time); }).filter(function (t) { return t !== null; });
    if (hopTimes.length) {
      button("Hops", "Zoom to the hops", function () {
        var a = (Math.min.apply(null, hopTimes) - start) / bucket, b = (Math.max.apply(null, hopTimes) - start) / bucket;
        var pad = Math.max(24, (b - a) * 0.08);
        set(a - pad, b + pad);
      });
    }
    var range = el("span", "range");
    tools.appendChild(range);
    var key = el("span", "timeline-key");
    key.appendChild(el("span", "k-login", "successful logins"));
    key.appendChild(el("span", "k-fail", "failures"));
    if (hopTimes.length) key.appendChild(el("span", "k-hop", "intruder's hops"));
    tools.appendChild(key);
    var chart = el("div", "chart");
    chart.tabIndex = 0;
    chart.setAttribute("role", "img");
    chart.setAttribute("aria-label", "Login volume over time. Keys: + and − zoom, arrows pan, 0 resets.");
    host.appendChild(tools);
    host.appendChild(chart);
    host.appendChild(el("p", "hint screen-only", "Zoom with the mouse wheel, by dragging across a period, or with the buttons; on the chart, + − ← → and 0 work too. Times are UTC."));
    var M = { l: 52, r: 14, t: 22, b: 40 }, H = 230;
    var drag = null, sel = null, geometry = null;

    function set(a, b) {
      var span = Math.max(4, Math.min(n, b - a));
      a = Math.max(0, Math.min(n - span, a));
      view.a = a; view.b = a + span;
      draw();
    }
    function zoom(f, at) { var s = view.b - view.a, c = view.a + s * at; set(c - s * f * at, c + s * f * (1 - at)); }
    function pan(f) { var s = view.b - view.a; set(view.a + s * f, view.b + s * f); }

    function draw() {
      var W = Math.max(320, chart.clientWidth || 900), pw = W - M.l - M.r, ph = H - M.t - M.b;
      // bars of a round number of buckets (1, 2, 3, 6, 12 h, 1, 2, 7, 14, 30 days of hourly buckets)
      var span = view.b - view.a, per = NICE[NICE.length - 1];
      for (var q = 0; q < NICE.length; q++) if (span / NICE[q] <= pw / 3) { per = NICE[q]; break; }
      var first = Math.floor(view.a / per), last = Math.ceil(view.b / per), sums = [], max = 1;
      for (var j = first; j < last; j++) {
        var a = Math.max(0, j * per), b = Math.min(n, (j + 1) * per);
        var s = { j: j, l: b > a ? pl[b] - pl[a] : 0, f: b > a ? pf[b] - pf[a] : 0 };
        sums.push(s);
        if (s.l + s.f > max) max = s.l + s.f;
      }
      geometry = { W: W, pw: pw };
      var root = svg("svg", { viewBox: "0 0 " + W + " " + H, height: H, role: "presentation" });
      var y = function (v) { return M.t + ph - (v / max) * ph; };
      (max >= 2 ? [0, 0.5, 1] : [0, 1]).forEach(function (q) {
        var v = Math.round(max * q);
        root.appendChild(svg("line", { "class": "grid", x1: M.l, x2: W - M.r, y1: y(v), y2: y(v) }));
        root.appendChild(svg("text", { x: M.l - 6, y: y(v) + 4, "text-anchor": "end" }, v));
      });
      var pxPerBucket = pw / span, gapPx = per * pxPerBucket > 4 ? 1 : 0;
      sums.forEach(function (s) {
        var x0 = Math.max(M.l, M.l + (s.j * per - view.a) * pxPerBucket);
        var x1 = Math.min(M.l + pw, M.l + ((s.j + 1) * per - view.a) * pxPerBucket);
        var w = Math.max(0.5, x1 - x0 - gapPx);
        if (x1 <= x0) return;
        if (s.l) root.appendChild(svg("rect", { "class": "bar-login", x: x0, width: w, y: y(s.l), height: y(0) - y(s.l) }));
        if (s.f) root.appendChild(svg("rect", { "class": "bar-fail", x: x0, width: w, y: y(s.l + s.f), height: y(s.l) - y(s.l + s.f) }));
      });
      root.appendChild(svg("line", { "class": "axis", x1: M.l, x2: W - M.r, y1: y(0), y2: y(0) }));
      // time ticks on UTC boundaries
      var t0 = start + view.a * bucket, t1 = start + view.b * bucket, pxPerMs = pw / (t1 - t0);
      var step = STEPS[STEPS.length - 1];
      for (var k = 0; k < STEPS.length; k++) if (STEPS[k] * 1000 * pxPerMs >= 95) { step = STEPS[k]; break; }
      ticks(t0, t1, step).forEach(function (t) {
        var tx = M.l + (t - t0) * pxPerMs;
        root.appendChild(svg("line", { "class": "axis", x1: tx, x2: tx, y1: y(0), y2: y(0) + 5 }));
        var iso = new Date(t).toISOString();
        var label = step >= 30 * 86400 ? iso.slice(0, 7) : step >= 86400 ? iso.slice(0, 10) : iso.slice(5, 10) + " " + iso.slice(11, 16);
        root.appendChild(svg("text", { x: tx, y: y(0) + 18, "text-anchor": "middle" }, label));
      });
      root.appendChild(svg("text", { x: W - M.r, y: H - 4, "text-anchor": "end" }, "UTC"));
      // the intruder's hops (a number only where it does not overlap the previous one)
      var lastLabel = -Infinity;
      hops.forEach(function (h, i) {
        var t = ms(h.time);
        if (t === null || t < t0 || t > t1) return;
        var hx = M.l + (t - t0) * pxPerMs;
        var g = svg("g", { "data-hop-mark": i });
        g.appendChild(svg("title", {}, "Hop " + (i + 1) + ": " + str(h.src_host) + " → " + str(h.dst_host) + ", " + when(h.time) + " UTC"));
        g.appendChild(svg("line", { "class": "hop-mark", x1: hx, x2: hx, y1: M.t - 4, y2: y(0) }));
        if (hx - lastLabel >= 16) {
          g.appendChild(svg("text", { "class": "hop-mark-label", x: hx, y: M.t - 8 }, i + 1));
          lastLabel = hx;
        }
        g.addEventListener("click", function (e) { e.stopPropagation(); selectHop(i, true); });
        g.addEventListener("mousedown", function (e) { e.stopPropagation(); });
        root.appendChild(g);
      });
      sel = svg("rect", { "class": "selection", x: 0, y: M.t, width: 0, height: ph, visibility: "hidden" });
      root.appendChild(sel);
      chart.textContent = "";
      chart.appendChild(root);
      var hoursPerBar = per * bucket / 3600000;
      // (bucket_seconds other than an hour make these multiples of the bucket, still labelled right)
      range.textContent = when(new Date(t0).toISOString()) + " → " + when(new Date(t1).toISOString()) + " UTC · each bar " +
        (hoursPerBar >= 24 ? +(hoursPerBar / 24).toFixed(1) + " day(s)" : +hoursPerBar.toFixed(1) + " h");
    }

    function ticks(t0, t1, step) {
      var out = [], d;
      if (step >= 30 * 86400) {
        var months = Math.round(step / (30 * 86400)) || 1;
        d = new Date(t0);
        d = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
        for (var guard = 0; d <= t1 && guard < 400; guard++) {
          var dd = new Date(d);
          if (dd.getUTCMonth() % months === 0) out.push(d);
          d = Date.UTC(dd.getUTCFullYear(), dd.getUTCMonth() + 1, 1);
        }
        return out;
      }
      var s = step * 1000;
      for (d = Math.ceil(t0 / s) * s; d <= t1 && out.length < 200; d += s) out.push(d);
      return out;
    }

    function bucketAt(clientX) {
      var r = chart.getBoundingClientRect();
      var px = (clientX - r.left) * (geometry.W / r.width) - M.l;
      return { f: Math.max(0, Math.min(1, px / geometry.pw)), px: px };
    }
    chart.addEventListener("wheel", function (e) {
      e.preventDefault();
      zoom(e.deltaY < 0 ? 0.8 : 1.25, bucketAt(e.clientX).f);
    }, { passive: false });
    chart.addEventListener("mousedown", function (e) {
      if (e.button !== 0) return;
      drag = bucketAt(e.clientX).f;
    });
    window.addEventListener("mousemove", function (e) {
      if (drag === null || !sel) return;
      var f = bucketAt(e.clientX).f, a = Math.min(drag, f), b = Math.max(drag, f);
      sel.setAttribute("x", M.l + a * geometry.pw);
      sel.setAttribute("width", (b - a) * geometry.pw);
      sel.setAttribute("visibility", "visible");
    });
    window.addEventListener("mouseup", function (e) {
      if (drag === null) return;
      var f = bucketAt(e.clientX).f, a = Math.min(drag, f), b = Math.max(drag, f);
      drag = null;
      var s = view.b - view.a;
      if ((b - a) * geometry.pw > 6) set(view.a + a * s, view.a + b * s); else if (sel) sel.setAttribute("visibility", "hidden");
    });
    chart.addEventListener("dblclick", function () { set(0, n); });
    chart.addEventListener("keydown", function (e) {
      var keys = { "+": function () { zoom(0.5, 0.5); }, "=": function () { zoom(0.5, 0.5); }, "-": function () { zoom(2, 0.5); },
        "ArrowLeft": function () { pan(-0.25); }, "ArrowRight": function () { pan(0.25); }, "0": function () { set(0, n); }, "Home": function () { set(0, n); } };
      if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
    });
    var resize = null;
    window.addEventListener("resize", function () { clearTimeout(resize); resize = setTimeout(draw, 100); });
    draw();
  }

  wireHops();
  tables();
  timeline();
})();
