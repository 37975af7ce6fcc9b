// vaultbook's link graphs. Each page's "Graph" box and the graph page name a data script
// (data-vb-graph, from the book's root), injected when the box is opened (or the graph page
// shown), so that a page costs nothing until its graph is wanted. Scripts rather than JSON: a
// browser refuses fetch() from file://.
//
// - The graph page's script holds the vault picture as SVG markup, laid out when the book was
//   built: nothing is simulated in the page.
// - A page's box names the links table (every note's page, title and links) and the page
//   (data-vb-page); its local graph is drawn here, in rings around the page's note.
(function () {
  "use strict";
  if (window.vbGraph) {
    return;
  }
  // mdBook's page script defines path_to_root; the pictures' URLs are written from the root.
  var root = typeof path_to_root === "string" ? path_to_root : "";
  var STORE = "vaultbook-graph-open";
  // print.html holds every chapter: opening all their graphs there would load them all.
  var printPage = /(^|\/)print\.html$/.test(location.pathname);
  var waiting = {}; // key → elements waiting for its script
  var markups = {}; // key → markup, once its script ran
  var table = null; // the links table, once its script ran
  var waitingLocal = null; // boxes waiting for the table, once its script was asked for
  var SVG = "http://www.w3.org/2000/svg";
  // Notes one link away shown at most (the most linked first), and notes shown at most.
  var LOCAL_FIRST = 24;
  var LOCAL_MAX = 48;
  // Labels longer than this are cut, with an ellipsis (the whole title is in the tooltip).
  var LABEL_CHARS = 28;
  var FONT = 11;

  window.vbGraph = {
    add: function (key, markup) {
      markups[key] = markup;
      var els = waiting[key] || [];
      delete waiting[key];
      els.forEach(function (el) {
        show(el, markup);
      });
    },
    links: function (data) {
      table = readTable(data);
      var els = waitingLocal || [];
      waitingLocal = null;
      els.forEach(drawLocal);
    },
  };

  // The table as the book wrote it: per note its page, title, and its neighbours after it as
  // differences. Here: the neighbours both ways, sorted, and each page's place.
  function readTable(data) {
    var n = data.page.length;
    var adj = [];
    var at = {};
    for (var i = 0; i < n; i++) {
      adj.push([]);
      at[data.page[i]] = i;
    }
    for (i = 0; i < n; i++) {
      var last = i;
      var next = data.next[i] || [];
      for (var k = 0; k < next.length; k++) {
        last += next[k];
        if (last < n) {
          adj[i].push(last);
          adj[last].push(i);
        }
      }
    }
    // Each list is sorted already: the earlier neighbours are pushed in order, then the later.
    return { page: data.page, title: data.title, adj: adj, at: at };
  }

  function has(sorted, x) {
    var lo = 0;
    var hi = sorted.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (sorted[mid] < x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo < sorted.length && sorted[lo] === x;
  }

  function byNumber(a, b) {
    return a - b;
  }

  // The notes of node c's graph: the middle, the notes one link away (the most linked first,
  // at most LOCAL_FIRST, then in reading order round the ring), and on an outer ring the notes
  // two links away that most of those link to, beside the first of them they link to; at most
  // LOCAL_MAX in all, and how many more there are.
  function neighbourhood(adj, c) {
    var deg = function (i) {
      return adj[i].length;
    };
    var first = adj[c].slice().sort(function (a, b) {
      return deg(b) - deg(a) || a - b;
    });
    var allFirst = first.length;
    first = first.slice(0, LOCAL_FIRST).sort(byNumber);
    var near = new Set(adj[c]);
    near.add(c);
    var count = new Map();
    var second = [];
    first.forEach(function (i) {
      adj[i].forEach(function (j) {
        if (near.has(j)) {
          return;
        }
        if (!count.has(j)) {
          count.set(j, 0);
          second.push(j);
        }
        count.set(j, count.get(j) + 1);
      });
    });
    // The second ring reached only through first-ring notes not shown counts as hidden.
    var allSecond = second.length;
    var shownFirst = new Set(first);
    var other = new Set();
    adj[c].forEach(function (i) {
      if (shownFirst.has(i)) {
        return;
      }
      adj[i].forEach(function (j) {
        if (!near.has(j) && !count.has(j) && !other.has(j)) {
          other.add(j);
          allSecond++;
        }
      });
    });
    var keep = Math.max(0, LOCAL_MAX - 1 - first.length);
    second.sort(function (a, b) {
      return count.get(b) - count.get(a) || deg(b) - deg(a) || a - b;
    });
    var parent = function (j) {
      for (var k = 0; k < first.length; k++) {
        if (has(adj[first[k]], j)) {
          return k;
        }
      }
      return 0;
    };
    second = second
      .slice(0, keep)
      .map(function (j) {
        return [parent(j), j];
      })
      .sort(function (a, b) {
        return a[0] - b[0] || a[1] - b[1];
      })
      .map(function (p) {
        return p[1];
      });
    return {
      first: first,
      second: second,
      hidden: allFirst - first.length + (allSecond - second.length),
    };
  }

  function radius(degree) {
    return 3 + Math.min(Math.sqrt(degree), 8) * 0.7;
  }

  function chars(title) {
    return Array.from(title.trim());
  }

  function cut(title) {
    var c = chars(title);
    return c.length <= LABEL_CHARS ? c.join("") : c.slice(0, LABEL_CHARS - 1).join("") + "\u2026";
  }

  function num(v) {
    return String(Math.round(v * 10) / 10);
  }

  function node(name, attrs) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) {
      e.setAttribute(k, attrs[k]);
    });
    return e;
  }

  // The local graph of the page the box names, as SVG made here: titles are text nodes, never
  // markup, so that nothing of a note's title is read as HTML.
  function drawLocal(el) {
    var c = table.at[el.getAttribute("data-vb-page")];
    if (c === undefined) {
      failed(el);
      return;
    }
    var adj = table.adj;
    var nb = neighbourhood(adj, c);
    var tau = 2 * Math.PI;
    var top = -tau / 4;
    var r1 = Math.max((nb.first.length * 18) / tau, 80);
    var r2 = Math.max((nb.second.length * 15) / tau, r1 + 90);
    // [node, x, y, angle of a radial label or null for one below]
    var shown = [[c, 0, 0, null]];
    [
      [nb.first, r1],
      [nb.second, r2],
    ].forEach(function (ring) {
      var of = ring[0].length;
      ring[0].forEach(function (j, k) {
        var a = top + (tau * k) / of;
        shown.push([j, ring[1] * Math.cos(a), ring[1] * Math.sin(a), a]);
      });
    });
    var outer = nb.second.length ? r2 : r1;
    // Room for the longest label beyond the outer ring (about 6.5 px a character at 11 px).
    var longest = 0;
    shown.forEach(function (s) {
      longest = Math.max(longest, Math.min(chars(table.title[s[0]]).length, LABEL_CHARS));
    });
    var extent = outer + 16 + longest * 6.5;
    var svg = node("svg", {
      class: "vb-graph-svg",
      viewBox: [-extent, -extent, 2 * extent, 2 * extent].map(num).join(" "),
      role: "group",
      "aria-label": "Notes within two links of " + table.title[c].trim(),
      "font-size": String(FONT),
    });
    var slot = new Map();
    shown.forEach(function (s, k) {
      slot.set(s[0], k);
    });
    var paths = ["", ""]; // the others' links, the page's own
    shown.forEach(function (s, a) {
      adj[s[0]].forEach(function (j) {
        var b = slot.get(j);
        if (b !== undefined && b > a) {
          var t = shown[b];
          paths[a === 0 ? 1 : 0] +=
            "M" + num(s[1]) + " " + num(s[2]) + "L" + num(t[1]) + " " + num(t[2]);
        }
      });
    });
    paths.forEach(function (d, strong) {
      if (d) {
        svg.appendChild(
          node("path", { class: strong ? "vb-graph-edges vb-graph-near" : "vb-graph-edges", d: d })
        );
      }
    });
    shown.forEach(function (s) {
      var i = s[0];
      var here = i === c;
      var r = here ? 7 : radius(adj[i].length);
      var a = node("a", { href: root + table.page[i] + ".html" });
      if (here) {
        a.setAttribute("class", "vb-graph-here");
      }
      var title = node("title", {});
      title.textContent = table.title[i];
      a.appendChild(title);
      a.appendChild(node("circle", { cx: num(s[1]), cy: num(s[2]), r: num(r) }));
      var text;
      if (s[3] === null) {
        text = node("text", { x: num(s[1]), y: num(s[2] + r + FONT * 0.75), "text-anchor": "middle" });
      } else {
        // On the left half the text would be upside down: turned round, read inward from its
        // end, it still starts next to the dot.
        var deg = (((s[3] * 180) / Math.PI) % 360 + 360) % 360;
        var left = deg > 90 && deg < 270;
        var gap = r + FONT * 0.4;
        var tx = s[1] + Math.cos(s[3]) * gap;
        var ty = s[2] + Math.sin(s[3]) * gap;
        text = node("text", {
          x: num(tx),
          y: num(ty),
          transform: "rotate(" + num(left ? deg - 180 : deg) + " " + num(tx) + " " + num(ty) + ")",
        });
        if (left) {
          text.setAttribute("text-anchor", "end");
        }
      }
      text.textContent = cut(table.title[i]);
      a.appendChild(text);
      svg.appendChild(a);
    });
    var box = document.createElement("div");
    box.className = "vb-graph-box";
    box.appendChild(svg);
    if (nb.hidden > 0) {
      var p = document.createElement("p");
      p.className = "vb-graph-more";
      p.textContent =
        "and " + nb.hidden + " more " + (nb.hidden === 1 ? "note" : "notes") + " within two links";
      box.appendChild(p);
    }
    el.appendChild(box);
  }

  function failed(el) {
    var p = document.createElement("p");
    p.className = "vb-graph-more";
    p.textContent = "The graph could not be loaded.";
    el.appendChild(p);
  }

  function keyOf(el) {
    return (el.getAttribute("data-vb-graph") || "").replace(/^\/+/, "");
  }

  function show(el, markup) {
    var t = document.createElement("template");
    // The markup was escaped when it was made (titles come from the vault); innerHTML of a
    // template runs no script.
    t.innerHTML = markup;
    var links = t.content.querySelectorAll("a[href]");
    for (var i = 0; i < links.length; i++) {
      links[i].setAttribute("href", root + links[i].getAttribute("href"));
    }
    var box = document.createElement("div");
    box.className = "vb-graph-box";
    box.appendChild(t.content);
    el.appendChild(box);
  }

  function load(el) {
    var key = keyOf(el);
    if (!key || el.hasAttribute("data-vb-graph-state")) {
      return;
    }
    el.setAttribute("data-vb-graph-state", "loaded");
    if (el.hasAttribute("data-vb-page")) {
      // A page's box: drawn from the links table, asked for once.
      if (table) {
        drawLocal(el);
      } else if (waitingLocal) {
        waitingLocal.push(el);
      } else {
        waitingLocal = [el];
        inject(key, function () {
          (waitingLocal || []).forEach(failed);
          waitingLocal = null;
        });
      }
      return;
    }
    if (markups[key] !== undefined) {
      show(el, markups[key]);
    } else if (waiting[key]) {
      waiting[key].push(el);
    } else {
      waiting[key] = [el];
      inject(key, function () {
        (waiting[key] || []).forEach(failed);
        delete waiting[key];
      });
    }
  }

  function inject(key, onerror) {
    var s = document.createElement("script");
    s.src = root + key;
    s.onerror = onerror;
    document.head.appendChild(s);
  }

  function remembered() {
    try {
      return window.localStorage.getItem(STORE) === "1";
    } catch (e) {
      return false;
    }
  }

  function remember(open) {
    try {
      window.localStorage.setItem(STORE, open ? "1" : "0");
    } catch (e) {
      // Storage refused (private mode, file:// policies): the box simply starts closed.
    }
  }

  var open = !printPage && remembered();
  document.querySelectorAll("details.vb-graph").forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (d.open) {
        load(d);
      }
      if (!printPage) {
        remember(d.open);
      }
    });
    if (d.open) {
      // Opened before this script ran (its toggle event may have gone by).
      load(d);
    } else if (open) {
      // A reader who opened a page's graph sees it on the next page too, as in Obsidian.
      d.open = true;
    }
  });
  if (!printPage) {
    document.querySelectorAll(".vb-graph-vault").forEach(load);
  }
})();
