/**
 * The Copy buttons' script, one source for every page that has them (the console serves it in its
 * hashed asset under `script-src 'self'`; the hosted registration page inlines it under its CSP
 * nonce). Shows each Copy button (`data-copy` names the element holding the value) and copies with
 * the Clipboard API, announcing the result in the status region `<id>-status` (WCAG 4.1.3).
 * Without JavaScript, or without the API (it needs https or localhost), the buttons stay hidden
 * and the value is there to select; if the browser refuses, the value is selected instead. Its
 * text is fixed: nothing in it comes from a request.
 */
export const COPY_SCRIPT = `(function () {
  'use strict';
  var clipboard = navigator.clipboard;
  if (!clipboard || typeof clipboard.writeText !== 'function') return;
  var statuses = [];
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    var id = button.getAttribute('data-copy');
    var value = document.getElementById(id);
    var status = document.getElementById(id + '-status');
    if (!value || !status) return;
    statuses.push(status);
    button.hidden = false;
    button.addEventListener('click', function () {
      // Emptied first, so a second copy is announced again; only the last copy says Copied.
      statuses.forEach(function (other) { other.textContent = ''; });
      clipboard.writeText(value.textContent).then(function () {
        status.textContent = 'Copied';
      }, function () {
        window.getSelection().selectAllChildren(value);
        status.textContent = 'Not copied: it is selected, press Ctrl+C (Cmd+C on a Mac)';
      });
    });
  });
})();`;
