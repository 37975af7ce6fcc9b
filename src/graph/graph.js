// vaultbook's link graphs. Each page's "Graph" box and the graph page name a data script
// (data-vb-graph, from the book's root) holding the picture as SVG markup, laid out when the
// book was built; the script is injected when the box is opened (or the graph page shown), so
// a page costs nothing until its graph is wanted, and nothing is simulated in the page.
// Scripts rather than JSON: a browser refuses fetch() from file://.
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

  window.vbGraph = {
    add: function (key, markup) {
      markups[key] = markup;
      (waiting[key] || []).forEach(function (el) {
        show(el, markup);
      });
      delete waiting[key];
    },
  };

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
    if (markups[key] !== undefined) {
      show(el, markups[key]);
      return;
    }
    if (waiting[key]) {
      waiting[key].push(el);
      return;
    }
    waiting[key] = [el];
    var s = document.createElement("script");
    s.src = root + key;
    s.onerror = function () {
      var p = document.createElement("p");
      p.className = "vb-graph-more";
      p.textContent = "The graph could not be loaded.";
      el.appendChild(p);
    };
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
