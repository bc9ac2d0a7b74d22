// Static search for an exported dossier site: reads the index that search-index.js
// defines (window.DOSSIER_SEARCH) and shows matching records. Runs from the files alone,
// also from file://, because the index is a script, not a fetched file. Results are
// built with textContent, never innerHTML, so record text cannot inject markup.
(function () {
  "use strict";
  var data = window.DOSSIER_SEARCH;
  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!data || !form || !input || !list || !status) return;

  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function words(s) {
    return fold(s).split(/[^\p{L}\p{N}]+/u).filter(function (w) { return w.length > 0; });
  }
  var records = data.records.map(function (r) {
    return { r: r, title: words(r.t + " " + (r.a || "")), rest: words([r.k, r.d, r.y, r.x].join(" ")) };
  });

  function score(rec, terms) {
    var total = 0;
    for (var i = 0; i < terms.length; i++) {
      var t = terms[i], best = 0;
      for (var j = 0; j < rec.title.length && best < 3; j++) {
        if (rec.title[j] === t) best = 3; else if (rec.title[j].indexOf(t) === 0) best = Math.max(best, 2);
      }
      for (var k = 0; k < rec.rest.length && best < 1; k++) {
        if (rec.rest[k].indexOf(t) === 0) best = 1;
      }
      if (best === 0) return 0;
      total += best;
    }
    return total;
  }

  function show(query) {
    var terms = words(query);
    while (list.firstChild) list.removeChild(list.firstChild);
    if (terms.length === 0) { status.textContent = data.records.length + " records can be searched."; return; }
    var hits = [];
    for (var i = 0; i < records.length; i++) {
      var s = score(records[i], terms);
      if (s > 0) hits.push({ s: s, i: i });
    }
    hits.sort(function (a, b) { return b.s - a.s || a.i - b.i; });
    status.textContent = hits.length === 0 ? "Nothing matches “" + query + "”."
      : hits.length + (hits.length === 1 ? " record matches" : " records match") + " “" + query + "”.";
    hits.slice(0, 200).forEach(function (h) {
      var r = records[h.i].r;
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = data.root + r.u;
      a.textContent = r.t;
      li.appendChild(a);
      [[r.k, "kind"], [r.d, "muted"], [r.y, "muted"]].forEach(function (p) {
        if (!p[0]) return;
        var span = document.createElement("span");
        span.className = p[1];
        span.textContent = p[0];
        li.appendChild(document.createTextNode(" "));
        li.appendChild(span);
      });
      list.appendChild(li);
    });
  }

  var q = new URLSearchParams(window.location.search).get("q") || "";
  input.value = q;
  show(q);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    show(input.value);
    if (window.history && window.history.replaceState && window.location.protocol !== "file:") {
      window.history.replaceState(null, "", "?q=" + encodeURIComponent(input.value));
    }
  });
  input.addEventListener("input", function () { show(input.value); });
})();
