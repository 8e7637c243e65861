/* What-if and diff reports: the changed records, drawn from the embedded JSON with search,
   filters (run, entity, kind of change) and sorting by column. No network. */
(function () {
  "use strict";
  var holder = document.getElementById("changes-data");
  var section = document.getElementById("records");
  if (!holder || !section) { return; }
  var data = JSON.parse(holder.textContent);
  var LIMIT = 2000;  // rows drawn at once; narrow the search to see others
  // sort: a column index, or -1 for the order of the data (run, entity, key)
  var state = { query: "", group: "", entity: "", kind: "", sort: -1, dir: 1 };
  var body = section.querySelector("table.changes tbody");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); }); }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function kind(row) {
    return row[3] === "absent" ? "appeared" : row[4] === "absent" ? "disappeared" : "changed";
  }

  function matching() {
    var q = state.query.toLowerCase();
    var out = data.rows.filter(function (row) {
      if (state.group && row[0] !== state.group) { return false; }
      if (state.entity && row[1] !== state.entity) { return false; }
      if (state.kind && kind(row) !== state.kind) { return false; }
      if (q && row[2].toLowerCase().indexOf(q) < 0 && row[5].toLowerCase().indexOf(q) < 0 &&
          row[6].toLowerCase().indexOf(q) < 0) { return false; }
      return true;
    });
    var col = state.sort, dir = state.dir;
    if (col < 0) { return out; }
    out.sort(function (a, b) {
      var x = a[col], y = b[col];
      if (x !== y) { return (x < y ? -1 : 1) * dir; }
      return (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0) * dir;
    });
    return out;
  }

  function badge(outcome) {
    return el("span", { "class": "outcome o-" + outcome }, outcome);
  }

  function draw() {
    var rows = matching();
    body.textContent = "";
    rows.slice(0, LIMIT).forEach(function (row) {
      var tr = el("tr", { "class": "change " + kind(row), "data-key": row[2], "data-entity": row[1] });
      if (data.group) { tr.appendChild(el("td", null, row[0])); }
      tr.appendChild(el("td", null, row[1]));
      tr.appendChild(el("td", { "class": "key" }, row[2]));
      var before = el("td"); before.appendChild(badge(row[3])); tr.appendChild(before);
      var after = el("td"); after.appendChild(badge(row[4])); tr.appendChild(after);
      tr.appendChild(el("td", { "class": "rule" }, row[5]));
      tr.appendChild(el("td", { "class": "rule" }, row[6]));
      body.appendChild(tr);
    });
    section.querySelector(".visible-count").textContent = String(Math.min(rows.length, LIMIT));
    var note = section.querySelector(".not-shown");
    note.hidden = rows.length <= LIMIT;
    note.textContent = rows.length > LIMIT ? "Showing the first " + LIMIT + " of " +
      rows.length + " matching records: search or filter to narrow them." : "";
  }

  function listen(selector, field) {
    var control = section.querySelector(selector);
    if (!control) { return; }
    control.addEventListener(selector.indexOf("input") === 0 ? "input" : "change", function (ev) {
      state[field] = ev.target.value; draw();
    });
  }

  listen("input.search", "query");
  listen("select.group-filter", "group");
  listen("select.entity-filter", "entity");
  listen("select.kind-filter", "kind");
  Array.prototype.forEach.call(section.querySelectorAll("th[data-col]"), function (th) {
    th.addEventListener("click", function () {
      var col = Number(th.getAttribute("data-col"));
      state.dir = state.sort === col ? -state.dir : 1;
      state.sort = col;
      draw();
    });
  });
  // A link like #records/users/P00011 (or #records/extract.patrons/P00011) finds that record.
  function follow() {
    var hash = decodeURIComponent(window.location.hash.slice(1));
    if (hash.indexOf("records/") !== 0) { return; }
    var parts = hash.split("/");
    if (parts.length < 3) { return; }
    var known = function (name) { return data.rows.some(function (r) { return r[1] === name; }); };
    // A bare entity name means the Alma side, as in the other reports; else the extract's.
    state.entity = [parts[1], "alma." + parts[1], "extract." + parts[1]].filter(known)[0] || "";
    state.query = parts.slice(2).join("/");
    state.group = ""; state.kind = "";
    section.querySelector("input.search").value = state.query;
    section.querySelector("select.entity-filter").value = state.entity;
    section.querySelector("select.kind-filter").value = "";
    var groups = section.querySelector("select.group-filter");
    if (groups) { groups.value = ""; }
    draw();
    section.scrollIntoView();
  }
  window.addEventListener("hashchange", follow);
  draw();
  follow();
}());
