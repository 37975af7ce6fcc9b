// vaultbook: search for books too large for mdBook's one-file index. A button in the menu bar
// (and the `s` and `/` keys, as in mdBook) opens Pagefind's search over the chunked index in
// pagefind/, loaded only when a reader first searches. Pagefind fetches its files, which a
// browser refuses for file:// pages: those readers are told how to serve the book instead.
(function () {
  var root = typeof path_to_root === 'string' ? path_to_root : '';
  var bar = document.querySelector('#mdbook-menu-bar .left-buttons');
  var content = document.getElementById('mdbook-content');
  if (!bar || !content) { return; }

  var button = document.createElement('button');
  button.id = 'vb-search-toggle';
  button.className = 'icon-button';
  button.type = 'button';
  button.title = 'Search (`/`)';
  button.setAttribute('aria-label', 'Search this book');
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', 'vb-search');
  button.setAttribute('aria-keyshortcuts', '/ s');
  // Font Awesome's magnifying glass, as mdBook draws its own search button.
  button.innerHTML = '<span class="fa-svg"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">' +
    '<path d="M416 208c0 45.9-14.9 88.3-40 122.7L502.6 457.4c12.5 12.5 12.5 32.8 0 45.3s-32.8 12.5-45.3 0' +
    'L330.7 376c-34.4 25.2-76.8 40-122.7 40C93.1 416 0 322.9 0 208S93.1 0 208 0S416 93.1 416 208zM208 352' +
    'a144 144 0 1 0 0-288 144 144 0 1 0 0 288z"/></svg></span>';
  bar.appendChild(button);

  var style = document.createElement('style');
  style.textContent = '.vb-search { max-width: var(--content-max-width); margin: 0 auto; ' +
    'padding: 1em 15px; --pagefind-ui-scale: 0.8; --pagefind-ui-primary: var(--links); ' +
    '--pagefind-ui-text: var(--fg); --pagefind-ui-background: var(--bg); ' +
    '--pagefind-ui-border: var(--searchbar-border-color); --pagefind-ui-tag: var(--quote-bg); }' +
    '.vb-search[hidden] { display: none; }';
  document.head.appendChild(style);

  var panel = document.createElement('div');
  panel.id = 'vb-search';
  panel.className = 'vb-search';
  panel.hidden = true;
  panel.setAttribute('role', 'search');
  content.parentNode.insertBefore(panel, content);

  var started = false;
  function start() {
    started = true;
    if (location.protocol === 'file:') {
      var p = document.createElement('p');
      p.className = 'vb-search-offline';
      p.textContent = 'This book is too large for a one-file search index, and its search ' +
        'index cannot be read from a file:// page. Serve the book to search it: ' +
        '`vaultbook serve`, or any static web server over the book folder ' +
        '(`python3 -m http.server -d book`).';
      panel.appendChild(p);
      return;
    }
    var css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = root + 'pagefind/pagefind-ui.css';
    document.head.appendChild(css);
    var script = document.createElement('script');
    script.src = root + 'pagefind/pagefind-ui.js';
    script.onload = function () {
      // Result URLs are kept from the book's root, wherever the book is hosted.
      var base = new URL(root || './', location.href).pathname;
      // An import() specifier: it must be a path, not a bare relative name.
      var bundle = new URL(root + 'pagefind/', location.href).pathname;
      // A large book has several indexes (each built apart, to bound the build's memory):
      // the first is searched with the others merged in.
      fetch(bundle + 'vaultbook-bundles.json')
        .then(function (r) { return r.ok ? r.json() : []; })
        .catch(function () { return []; })
        .then(function (more) {
          var ui = new window.PagefindUI({
            element: '#vb-search',
            bundlePath: bundle,
            mergeIndex: more.map(function (m) { return { bundlePath: bundle + m, baseUrl: base }; }),
            baseUrl: base,
            showSubResults: true,
            showImages: false,
            autofocus: true,
            resetStyles: false
          });
          if (query) { ui.triggerSearch(query); }
        });
    };
    script.onerror = function () {
      panel.textContent = 'The search index (pagefind/) is missing from this book.';
    };
    document.head.appendChild(script);
  }

  function open() {
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    if (!started) { start(); }
    var input = panel.querySelector('input');
    if (input) { input.focus(); }
  }

  function close() {
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  }

  // `?search=words` opens the search with them, as mdBook's own search does.
  var query = new URLSearchParams(location.search).get('search');
  if (query) { open(); }

  button.addEventListener('click', function () {
    if (panel.hidden) { open(); } else { close(); }
  });
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    var typing = t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable);
    if (e.key === 'Escape' && !panel.hidden) { close(); return; }
    if (typing || e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.key === '/' || e.key === 's' || e.key === 'S') {
      e.preventDefault();
      open();
    }
  });
})();
