// Starts GOV.UK Frontend's components (the skip link's focus, the error summary's focus,
// buttons that ignore a second press, ...). govuk-frontend.min.js is an ES module: it
// exports initAll and sets no global, so it is imported here. A file of its own: the CSP
// allows no inline script.
import { initAll } from '/static/vendor/govuk-frontend.min.js';

document.body.classList.add('js-enabled', 'govuk-frontend-supported');
initAll();
document.body.addEventListener('htmx:configRequest', function (event) {
  var token = document.querySelector('meta[name="csrf-token"]');
  if (token) { event.detail.headers['X-CSRF-Token'] = token.getAttribute('content'); }
});
