// Marks the page as having JavaScript (GOV.UK Frontend styles depend on it) and starts
// the GOV.UK Frontend components. A file of its own: the CSP allows no inline script.
document.body.classList.add('js-enabled', 'govuk-frontend-supported');
if (window.GOVUKFrontend) { window.GOVUKFrontend.initAll(); }
document.body.addEventListener('htmx:configRequest', function (event) {
  var token = document.querySelector('meta[name="csrf-token"]');
  if (token) { event.detail.headers['X-CSRF-Token'] = token.getAttribute('content'); }
});
