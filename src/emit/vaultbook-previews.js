// vaultbook's page previews: hovering (or focusing, or long-pressing) a link to another page of
// the book shows the section it points at in a popover. The HTML was cut out of the rendered
// pages at build time, one script per page under vaultbook-previews/ (scripts, not JSON: a
// browser refuses fetch() from file://); the script of a page is injected the first time a
// link to it is wanted, so a reader downloads only the previews they ask for.
(function () {
  "use strict";
  if (window.vbPreviews) {
    return;
  }
  var HOVER_DELAY = 300;
  var CLOSE_DELAY = 250;
  var LONG_PRESS = 500;
  var DATA_DIR = "vaultbook-previews/";

  // mdBook's page script defines path_to_root; the book's root URL is where every preview's
  // URLs (written from the root at build time) and every data script are found.
  var rootPath = typeof path_to_root === "string" ? path_to_root : "";
  // "" on a page at the root: that page's folder, not the page.
  var root = new URL(rootPath || "./", location.href);
  root.hash = "";
  root.search = "";
  var rootHref = root.href;

  var pages = {}; // page → {id: html}, once its script ran
  var loading = {}; // page → [callbacks] while its script loads; absent/failed → nothing
  var failed = {};

  window.vbPreviews = {
    add: function (page, previews) {
      pages[page] = previews;
      var waiting = loading[page] || [];
      delete loading[page];
      waiting.forEach(function (f) {
        f();
      });
    },
  };

  // The page (path from the root, decoded, `.html`) and fragment a link points at, or null
  // when it is not a link to a page of this book.
  function targetOf(a) {
    var href = a.getAttribute("href");
    if (!href || href.charAt(0) === "#" && href.length < 2) {
      return null;
    }
    var url;
    try {
      url = new URL(a.href, location.href);
    } catch (e) {
      return null;
    }
    if (url.protocol !== root.protocol || url.host !== root.host) {
      return null;
    }
    var path = url.origin + url.pathname;
    var base = root.origin + root.pathname;
    if (url.protocol === "file:") {
      path = url.href.split(/[?#]/)[0];
      base = rootHref.split(/[?#]/)[0];
    }
    if (path.indexOf(base) !== 0) {
      return null;
    }
    var rel = path.slice(base.length);
    if (rel === "" || rel.charAt(rel.length - 1) === "/") {
      rel += "index.html";
    }
    if (!/\.html$/.test(rel) || /^(print|toc|404)\.html$/.test(rel)) {
      return null;
    }
    try {
      rel = decodeURIComponent(rel);
    } catch (e) {
      return null;
    }
    var id = "";
    if (url.hash.length > 1) {
      try {
        id = decodeURIComponent(url.hash.slice(1));
      } catch (e) {
        id = url.hash.slice(1);
      }
    }
    return { page: rel, id: id };
  }

  // This page, as targetOf names pages.
  var here = (function () {
    var a = document.createElement("a");
    a.href = location.href.split("#")[0];
    var t = targetOf(a);
    return t && t.page;
  })();

  // Whether the link points into the section that holds it (or at this page's top from within
  // it): a preview would show what the reader is looking at.
  function pointsAtItself(a, target) {
    if (target.page !== here) {
      return false;
    }
    if (!target.id) {
      return true;
    }
    var el = document.getElementById(target.id);
    if (!el) {
      return false;
    }
    var m = /^H([1-6])$/.exec(el.tagName);
    if (!m) {
      return el.contains(a);
    }
    if (el.contains(a)) {
      return true;
    }
    // In the section when the link follows the heading and no heading of the same or a higher
    // level comes between them.
    if (!(el.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING)) {
      return false;
    }
    var level = +m[1];
    var heads = document.querySelectorAll("main h1, main h2, main h3, main h4, main h5, main h6");
    for (var i = 0; i < heads.length; i++) {
      var h = heads[i];
      if (h === el || +h.tagName.charAt(1) > level) {
        continue;
      }
      var afterEl = el.compareDocumentPosition(h) & Node.DOCUMENT_POSITION_FOLLOWING;
      var beforeA = h.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING;
      if (afterEl && beforeA) {
        return false;
      }
    }
    return true;
  }

  // The link under `node` that gets a preview, with its target, or null.
  function linkAt(node) {
    var a = node && node.closest ? node.closest("main a[href]") : null;
    if (!a || a.classList.contains("header") || a.closest(".vb-preview")) {
      return null;
    }
    var target = targetOf(a);
    if (!target || pointsAtItself(a, target)) {
      return null;
    }
    return { a: a, target: target };
  }

  // Calls back with the previews of `page`, loading its script the first time.
  function load(page, done) {
    if (pages[page]) {
      done(pages[page]);
      return;
    }
    if (failed[page]) {
      return;
    }
    if (loading[page]) {
      loading[page].push(function () {
        done(pages[page]);
      });
      return;
    }
    loading[page] = [
      function () {
        done(pages[page]);
      },
    ];
    var s = document.createElement("script");
    s.src =
      rootHref +
      DATA_DIR +
      page
        .replace(/\.html$/, "")
        .split("/")
        .map(encodeURIComponent)
        .join("/") +
      ".js";
    s.async = true;
    s.onerror = function () {
      failed[page] = true;
      delete loading[page];
    };
    document.head.appendChild(s);
  }

  var style = document.createElement("style");
  style.textContent =
    ".vb-preview{position:fixed;z-index:1000;box-sizing:border-box;" +
    "min-width:min(16rem,calc(100vw - 16px));max-width:min(32rem,calc(100vw - 16px));max-height:min(22rem,calc(100vh - 16px));" +
    "overflow:auto;padding:0.4rem 1rem;font-size:0.9em;line-height:1.45;" +
    "background:var(--bg);color:var(--fg);border:1px solid var(--quote-border,var(--fg));" +
    "border-radius:6px;box-shadow:0 4px 18px rgba(0,0,0,0.25);}" +
    ".vb-preview[hidden]{display:none;}" +
    ".vb-preview a{color:var(--links);}" +
    ".vb-preview a.header{color:inherit;text-decoration:none;}" +
    ".vb-preview h1,.vb-preview h2,.vb-preview h3,.vb-preview h4,.vb-preview h5,.vb-preview h6" +
    "{margin:0.5em 0 0.3em;}" +
    ".vb-preview h1{font-size:1.4em;}.vb-preview h2{font-size:1.25em;}" +
    ".vb-preview h3,.vb-preview h4,.vb-preview h5,.vb-preview h6{font-size:1.1em;}" +
    ".vb-preview img{max-width:100%;height:auto;}" +
    ".vb-preview pre{overflow:auto;}" +
    ".vb-preview blockquote{background:var(--quote-bg);border-color:var(--quote-border);}" +
    ".vb-preview-more{color:var(--icons,var(--fg));margin:0.2em 0;}" +
    // A long press shows the preview instead of the browser's link menu.
    "main a[href]{-webkit-touch-callout:none;}";
  document.head.appendChild(style);

  var pop = document.createElement("div");
  pop.className = "vb-preview";
  pop.id = "vb-preview";
  pop.setAttribute("role", "tooltip");
  pop.hidden = true;

  var current = null; // the link whose preview is open or about to open
  var openTimer = 0;
  var closeTimer = 0;

  function clearTimers() {
    clearTimeout(openTimer);
    clearTimeout(closeTimer);
    openTimer = closeTimer = 0;
  }

  // Shows the preview of link `l` ({a, target}) once its data is there.
  function show(l) {
    current = l;
    load(l.target.page, function (previews) {
      if (current !== l || !previews) {
        return;
      }
      var html = previews[l.target.id];
      if (html === 1) {
        // The page's title heading, whose section is the page.
        html = previews[""];
      }
      if (html === undefined && l.target.id) {
        // A fragment with no preview (a footnote, say): no popover rather than the wrong text.
        return;
      }
      if (html === undefined || html === "") {
        return;
      }
      // A template parses without loading anything, so URLs are rewritten before any image
      // is fetched; they were written from the book's root.
      var t = document.createElement("template");
      t.innerHTML = html;
      t.content.querySelectorAll("[href],[src]").forEach(function (el) {
        ["href", "src"].forEach(function (k) {
          var v = el.getAttribute(k);
          if (v !== null && !/^([a-z][a-z0-9+.-]*:|\/|#)/i.test(v)) {
            el.setAttribute(k, new URL(v, rootHref).href);
          }
        });
      });
      t.content.querySelectorAll("[id]").forEach(function (el) {
        el.removeAttribute("id");
      });
      pop.replaceChildren(t.content);
      pop.scrollTop = 0;
      if (!pop.isConnected) {
        document.body.appendChild(pop);
      }
      pop.style.visibility = "hidden";
      pop.hidden = false;
      place(l.a);
      pop.style.visibility = "";
      l.a.setAttribute("aria-describedby", pop.id);
    });
  }

  // Puts the popover below the link, or above it when there is more room there; fixed, so
  // nothing in the page moves.
  function place(a) {
    var r = a.getBoundingClientRect();
    var w = pop.offsetWidth;
    var h = pop.offsetHeight;
    var vw = document.documentElement.clientWidth;
    var vh = document.documentElement.clientHeight;
    var left = Math.max(8, Math.min(r.left, vw - w - 8));
    var below = vh - r.bottom;
    var top = below >= h + 12 || below >= r.top ? r.bottom + 6 : r.top - h - 6;
    top = Math.max(8, Math.min(top, vh - h - 8));
    pop.style.left = left + "px";
    pop.style.top = top + "px";
  }

  function hide() {
    clearTimers();
    if (current) {
      current.a.removeAttribute("aria-describedby");
    }
    current = null;
    pop.hidden = true;
  }

  function scheduleClose() {
    clearTimeout(openTimer);
    clearTimeout(closeTimer);
    closeTimer = setTimeout(hide, CLOSE_DELAY);
  }

  var lastTouch = 0;

  document.addEventListener("mouseover", function (e) {
    if (Date.now() - lastTouch < 1000) {
      // The mouse events a browser makes up after a tap: the tap navigates.
      return;
    }
    if (pop.contains(e.target)) {
      clearTimeout(closeTimer);
      return;
    }
    var l = linkAt(e.target);
    if (!l) {
      return;
    }
    if (current && current.a === l.a) {
      clearTimeout(closeTimer);
      return;
    }
    clearTimers();
    openTimer = setTimeout(function () {
      show(l);
    }, HOVER_DELAY);
    current = l;
  });

  document.addEventListener("mouseout", function (e) {
    if (!current) {
      return;
    }
    var to = e.relatedTarget;
    if (to && (current.a.contains(to) || pop.contains(to))) {
      return;
    }
    if (current.a.contains(e.target) || pop.contains(e.target)) {
      scheduleClose();
    }
  });

  document.addEventListener("focusin", function (e) {
    if (pop.contains(e.target)) {
      clearTimeout(closeTimer);
      return;
    }
    var l = linkAt(e.target);
    // Focus from the keyboard only: a click or a tap focuses the link it opens, too.
    var keyboard = Date.now() - lastTouch > 1000 && e.target.matches(":focus-visible");
    if (l && keyboard) {
      clearTimers();
      show(l);
    } else if (current && !l) {
      hide();
    }
  });

  document.addEventListener("focusout", function (e) {
    if (current && !pop.contains(e.relatedTarget) && e.relatedTarget !== current.a) {
      scheduleClose();
    }
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && current) {
      hide();
    }
  });

  // Touch: a long press shows the preview (and keeps the link from opening or the browser's
  // menu from showing); a tap still navigates.
  var press = null; // {l, x, y, timer, shown}
  document.addEventListener(
    "pointerdown",
    function (e) {
      if (e.pointerType !== "touch") {
        if (current && !pop.contains(e.target) && !current.a.contains(e.target)) {
          hide();
        }
        return;
      }
      lastTouch = Date.now();
      if (!pop.contains(e.target) && current) {
        hide();
      }
      var l = linkAt(e.target);
      if (!l) {
        return;
      }
      press = { l: l, x: e.clientX, y: e.clientY, shown: false };
      var p = press;
      p.timer = setTimeout(function () {
        p.shown = true;
        show(p.l);
      }, LONG_PRESS);
    },
    true,
  );
  function endPress(e) {
    if (!press) {
      return;
    }
    if (e.type === "pointermove") {
      if (Math.abs(e.clientX - press.x) + Math.abs(e.clientY - press.y) < 10) {
        return;
      }
    }
    clearTimeout(press.timer);
    if (!press.shown) {
      press = null;
    }
  }
  document.addEventListener("pointermove", endPress, true);
  document.addEventListener("pointerup", endPress, true);
  document.addEventListener("pointercancel", endPress, true);
  document.addEventListener(
    "contextmenu",
    function (e) {
      if (press && linkAt(e.target)) {
        e.preventDefault();
      }
    },
    true,
  );
  document.addEventListener(
    "click",
    function (e) {
      if (press && press.shown && press.l.a.contains(e.target)) {
        e.preventDefault();
      }
      press = null;
    },
    true,
  );

  window.addEventListener("scroll", function () {
    if (current && !pop.hidden && !pop.matches(":hover")) {
      hide();
    }
  }, { passive: true });
})();
