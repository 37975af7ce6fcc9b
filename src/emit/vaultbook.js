// vaultbook: page classes from frontmatter `cssclasses`, task items marked as Obsidian marks them,
// and mermaid diagrams in the page's theme.
(function () {
  var main = document.querySelector('main') || document.body;
  document.querySelectorAll('[data-vb-cssclasses]').forEach(function (el) {
    el.getAttribute('data-vb-cssclasses').split(/\s+/).forEach(function (c) {
      if (c) { main.classList.add(c); }
    });
  });
  // Markdown cannot put attributes on an <li>: the item takes its box's state, as Obsidian's
  // `<li class="task-list-item" data-task="/">`, so that themes' selectors apply.
  main.querySelectorAll('li > input[type=checkbox]:first-child, li > p:first-child > input[type=checkbox]:first-child').forEach(function (box) {
    var item = box.closest('li');
    var state = box.getAttribute('data-task');
    if (state === null) { state = box.checked ? 'x' : ''; }
    item.classList.add('task-list-item');
    if (box.checked) { item.classList.add('is-checked'); }
    item.setAttribute('data-task', state);
  });
  if (window.mermaid && document.querySelector('pre.mermaid')) {
    var dark = /\b(coal|navy|ayu)\b/.test(document.documentElement.className);
    window.mermaid.initialize({ startOnLoad: false, theme: dark ? 'dark' : 'default' });
    window.mermaid.run({ querySelector: 'pre.mermaid' });
  }
})();
