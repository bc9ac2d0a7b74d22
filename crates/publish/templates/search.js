// Static search for an exported dossier site (issue 27). The export worked out, with the
// server's own analysers, which records each word of the archive and each name of a body
// finds (search/w-….js by a word's first two letters, search/names.js); this script loads
// only the chunks a query needs, as script elements (so that it runs from file:// too),
// and intersects the lists, as the server does for bare words and names. Results are built
// with textContent, never innerHTML, so record text cannot inject markup.
(function () {
  "use strict";
  var PAGE = 50;
  var self = document.currentScript;
  var base = self ? self.src.replace(/static\/search\.js(\?.*)?$/, "search/") : "search/";
  var loaded = {};
  var waiting = {};

  // Each chunk script calls this with its name and its data.
  window.DOSSIER_SEARCH_LOADED = function (name, data) {
    loaded[name] = data;
    (waiting[name] || []).forEach(function (f) { f(); });
    delete waiting[name];
  };

  function load(name, done) {
    if (Object.prototype.hasOwnProperty.call(loaded, name)) { done(); return; }
    if (waiting[name]) { waiting[name].push(done); return; }
    waiting[name] = [done];
    var s = document.createElement("script");
    s.src = base + name + ".js";
    // A chunk that does not exist (no word starts so): an empty one.
    s.onerror = function () { window.DOSSIER_SEARCH_LOADED(name, null); };
    document.head.appendChild(s);
  }

  function loadAll(names, done) {
    var left = names.length;
    if (left === 0) { done(); return; }
    names.forEach(function (n) { load(n, function () { if (--left === 0) done(); }); });
  }

  // The chunk of a word: its first two characters as hex code points.
  function chunkOf(word) {
    return "w-" + Array.from(word).slice(0, 2).map(function (c) {
      return c.codePointAt(0).toString(16);
    }).join("-");
  }

  // The words of one typed word, as the server's tokenizer splits it.
  function tokens(w) {
    return w.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(function (t) { return t.length > 0; });
  }

  function intersect(a, b) {
    var out = [], i = 0, j = 0;
    while (i < a.length && j < b.length) {
      if (a[i] === b[j]) { out.push(a[i]); i++; j++; } else if (a[i] < b[j]) i++; else j++;
    }
    return out;
  }

  // What a query can be answered with here: bare words (no quotes, operators or fields).
  function plain(q) {
    return !/["“”()]|(^|\s)-\S|\b(AND|OR|NOT)\b|\b[a-zA-Z]+:\S/.test(q);
  }

  // The records a query finds, as the server's index answers bare words and names:
  // calls done(list of unit numbers) once the chunks it needs are loaded.
  function find(q, done) {
    var items = q.trim().split(/\s+/).filter(function (w) { return w.length > 0; });
    if (items.length === 0) { done([]); return; }
    var need = ["names"];
    items.forEach(function (w) { tokens(w).forEach(function (t) { need.push(chunkOf(t)); }); });
    loadAll(need, function () {
      var names = loaded.names || {};
      var lists = [];
      var i = 0;
      while (i < items.length) {
        // The longest run of two or more words that names a body.
        var len = 0;
        for (var l = items.length - i; l >= 2; l--) {
          var key = items.slice(i, i + l).join(" ").toLowerCase();
          if (Object.prototype.hasOwnProperty.call(names, key)) { len = l; lists.push(names[key]); break; }
        }
        if (len > 0) { i += len; continue; }
        var word = items[i].toLowerCase();
        if (Object.prototype.hasOwnProperty.call(names, word)) {
          lists.push(names[word]);
        } else {
          // A word the tokenizer splits ("co-operation") needs each of its parts.
          tokens(word).forEach(function (t) {
            var chunk = loaded[chunkOf(t)] || {};
            lists.push(Object.prototype.hasOwnProperty.call(chunk, t) ? chunk[t] : []);
          });
        }
        i++;
      }
      var found = lists.length ? lists[0] : [];
      for (var k = 1; k < lists.length; k++) found = intersect(found, lists[k]);
      done(found);
    });
  }

  // The rows of these units: [file, site path, title, kind, date].
  function units(numbers, done) {
    loadAll(["meta"], function () {
      var per = (loaded.meta || {}).per_chunk || 2000;
      var chunks = {};
      numbers.forEach(function (n) { chunks["units-" + Math.floor(n / per)] = true; });
      loadAll(Object.keys(chunks), function () {
        done(numbers.map(function (n) {
          var c = loaded["units-" + Math.floor(n / per)] || [];
          return c[n % per];
        }).filter(Boolean));
      });
    });
  }

  // The most hits ranked (their rows loaded to read their titles); past it, the order
  // of the archive.
  var RANKED = 2000;

  // The hits in order: those whose titles hold more of the query's words first, then
  // the archive's order. Calls done(rows) with the first `limit` rows.
  function ranked(q, found, limit, done) {
    if (found.length > RANKED) { units(found.slice(0, limit), done); return; }
    var wanted = tokens(q);
    units(found, function (rows) {
      var scored = rows.map(function (r, i) {
        var title = tokens(r[2]);
        var s = 0;
        wanted.forEach(function (w) { if (title.indexOf(w) >= 0) s++; });
        return { s: s, i: i, r: r };
      });
      scored.sort(function (a, b) { return b.s - a.s || a.i - b.i; });
      done(scored.slice(0, limit).map(function (x) { return x.r; }));
    });
  }

  window.DOSSIER_STATIC_SEARCH = { find: find, units: units, ranked: ranked, plain: plain };

  var form = document.getElementById("search-form");
  var input = document.getElementById("q");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!form || !input || !list || !status) return;
  var root = base.replace(/search\/$/, "");

  function show(query) {
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!query.trim()) { status.textContent = "Type words to find."; return; }
    var note = plain(query) ? "" : " (this copy of the site reads words and names only; quotes, OR, NOT and fields need the server)";
    find(query.replace(/["“”()]/g, " "), function (found) {
      status.textContent = (found.length === 0 ? "Nothing matches “" + query + "”."
        : found.length + (found.length === 1 ? " record matches" : " records match") + " “" + query + "”" +
          (found.length > PAGE ? "; the first " + PAGE + " are listed." : ".")) + note;
      ranked(query, found, PAGE, function (rows) {
        rows.forEach(function (r) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = root + r[0];
          a.textContent = r[2];
          li.appendChild(a);
          [[r[3], "kind"], [r[4], "muted"]].forEach(function (p) {
            if (!p[0]) return;
            var span = document.createElement("span");
            span.className = p[1];
            span.textContent = p[0];
            li.appendChild(document.createTextNode(" "));
            li.appendChild(span);
          });
          list.appendChild(li);
        });
      });
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
})();
