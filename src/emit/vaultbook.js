// vaultbook: page classes from frontmatter `cssclasses`, and mermaid diagrams in the page's theme.
(function () {
  var main = document.querySelector('main') || document.body;
  document.querySelectorAll('[data-vb-cssclasses]').forEach(function (el) {
    el.getAttribute('data-vb-cssclasses').split(/\s+/).forEach(function (c) {
      if (c) { main.classList.add(c); }
    });
  });
  if (window.mermaid && document.querySelector('pre.mermaid')) {
    var dark = /\b(coal|navy|ayu)\b/.test(document.documentElement.className);
    window.mermaid.initialize({ startOnLoad: false, theme: dark ? 'dark' : 'default' });
    window.mermaid.run({ querySelector: 'pre.mermaid' });
  }
})();
