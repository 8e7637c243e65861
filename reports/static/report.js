/* Cutover report: per-entity tables rendered on demand from the embedded JSON, with search,
   filters, sorting, deep links (#users/JSmith) and the rule chain of each record. No network. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var rendered = {};
  var state = {};

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) { Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); }); }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function resolve(name) {
    if (data.entities[name]) { return name; }
    if (data.entities["alma." + name]) { return "alma." + name; }
    if (data.entities["extract." + name]) { return "extract." + name; }
    return null;
  }

  function chain(entity, rec) {
    var box = el("div", { "class": "chain" });
    box.appendChild(el("p", { "class": "chain-title" },
      "Why " + entity.id + " " + rec[0] + " is " + entity.rules[rec[1]].outcome + ":"));
    var list = el("ol");
    for (var i = 0; i <= rec[1]; i++) {
      var rule = entity.rules[i];
      var item = el("li", { "class": i === rec[1] ? "decides" : "skipped" });
      var head = el("span", { "class": "rule-id" }, rule.id);
      item.appendChild(head);
      if (i === rec[1]) {
        item.appendChild(el("span", { "class": "mark" }, " matches and decides: " + rule.outcome));
        item.appendChild(el("div", { "class": "reason" }, rule.reason));
        item.appendChild(el("div", { "class": "meta" },
          "Source: " + rule.cite + " · confidence: " + rule.confidence));
      } else {
        item.appendChild(el("span", { "class": "mark" }, " does not match"));
      }
      item.appendChild(el("div", { "class": "when" }, "when " + rule.when));
      list.appendChild(item);
    }
    box.appendChild(list);
    return box;
  }

  function rows(id) {
    var entity = data.entities[id];
    var st = state[id];
    var q = st.query.toLowerCase();
    var out = entity.records.filter(function (rec) {
      var rule = entity.rules[rec[1]];
      if (st.outcome && rule.outcome !== st.outcome) { return false; }
      if (st.rule && rule.id !== st.rule) { return false; }
      if (q && rec[0].toLowerCase().indexOf(q) < 0 && rule.id.toLowerCase().indexOf(q) < 0 &&
          rule.reason.toLowerCase().indexOf(q) < 0) { return false; }
      return true;
    });
    var col = st.sort, dir = st.dir;
    var value = function (rec) {
      var rule = entity.rules[rec[1]];
      return col === "key" ? rec[0] : col === "outcome" ? rule.outcome :
        col === "rule" ? rule.id : rule.reason;
    };
    out.sort(function (a, b) {
      var x = value(a), y = value(b);
      return (x < y ? -1 : x > y ? 1 : (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) * dir;
    });
    return out;
  }

  function draw(id) {
    var entity = data.entities[id];
    var section = document.getElementById(id);
    var body = section.querySelector("tbody");
    var list = rows(id);
    body.textContent = "";
    list.forEach(function (rec) {
      var rule = entity.rules[rec[1]];
      var tr = el("tr", { "class": "record", "data-key": rec[0], "data-outcome": rule.outcome });
      var keyCell = el("td", { "class": "key" });
      keyCell.appendChild(el("a", { "href": "#" + id + "/" + encodeURIComponent(rec[0]) }, rec[0]));
      tr.appendChild(keyCell);
      var oc = el("td");
      oc.appendChild(el("span", { "class": "outcome o-" + rule.outcome }, rule.outcome));
      tr.appendChild(oc);
      tr.appendChild(el("td", { "class": "rule" }, rule.id));
      tr.appendChild(el("td", null, rule.reason));
      tr.addEventListener("click", function (ev) {
        if (ev.target.tagName === "A") { return; }
        toggleChain(id, rec, tr);
      });
      body.appendChild(tr);
    });
    section.querySelector(".visible-count").textContent = String(list.length);
  }

  function toggleChain(id, rec, tr) {
    var next = tr.nextSibling;
    if (next && next.classList && next.classList.contains("chain-row")) {
      next.parentNode.removeChild(next);
      return;
    }
    var row = el("tr", { "class": "chain-row" });
    var cell = el("td", { "colspan": "4" });
    cell.appendChild(chain(data.entities[id], rec));
    row.appendChild(cell);
    tr.parentNode.insertBefore(row, tr.nextSibling);
  }

  function setup(id) {
    if (rendered[id]) { return; }
    rendered[id] = true;
    state[id] = { query: "", outcome: "", rule: "", sort: "key", dir: 1 };
    var section = document.getElementById(id);
    section.querySelector("input.search").addEventListener("input", function (ev) {
      state[id].query = ev.target.value; draw(id);
    });
    section.querySelector("select.outcome-filter").addEventListener("change", function (ev) {
      state[id].outcome = ev.target.value; draw(id);
    });
    section.querySelector("select.rule-filter").addEventListener("change", function (ev) {
      state[id].rule = ev.target.value; draw(id);
    });
    Array.prototype.forEach.call(section.querySelectorAll("th[data-sort]"), function (th) {
      th.addEventListener("click", function () {
        var col = th.getAttribute("data-sort");
        state[id].dir = state[id].sort === col ? -state[id].dir : 1;
        state[id].sort = col;
        draw(id);
      });
    });
    draw(id);
  }

  function follow() {
    var hash = decodeURIComponent(window.location.hash.slice(1));
    if (!hash) { return; }
    var slash = hash.indexOf("/");
    var id = resolve(slash < 0 ? hash : hash.slice(0, slash));
    if (!id) { return; }
    var section = document.getElementById(id);
    section.open = true;
    setup(id);
    if (slash < 0) { section.scrollIntoView(); return; }
    var key = hash.slice(slash + 1).toLowerCase();
    var st = state[id];
    st.query = ""; st.outcome = ""; st.rule = "";
    section.querySelector("input.search").value = "";
    section.querySelector("select.outcome-filter").value = "";
    section.querySelector("select.rule-filter").value = "";
    draw(id);
    Array.prototype.forEach.call(document.querySelectorAll("tr.highlight"), function (tr) {
      tr.classList.remove("highlight");
    });
    var match = null;
    Array.prototype.forEach.call(section.querySelectorAll("tr.record"), function (tr) {
      if (!match && tr.getAttribute("data-key").toLowerCase() === key) { match = tr; }
    });
    var note = section.querySelector(".not-shown");
    if (match) {
      note.hidden = true;
      match.classList.add("highlight");
      var rec = data.entities[id].records.filter(function (r) {
        return r[0] === match.getAttribute("data-key");
      })[0];
      toggleChain(id, rec, match);
      match.scrollIntoView({ block: "center" });
    } else {
      note.hidden = false;
      note.textContent = "Record " + hash.slice(slash + 1) + " is not among the rows embedded " +
        "in this page; look it up in the full ledger.";
      section.scrollIntoView();
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("details.entity"), function (section) {
    section.addEventListener("toggle", function () { if (section.open) { setup(section.id); } });
  });
  window.addEventListener("hashchange", follow);
  follow();
}());
