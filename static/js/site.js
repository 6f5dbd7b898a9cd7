// Behaviour that used to sit in inline handlers (onsubmit=, onclick=), which the
// Content-Security-Policy forbids. Markup opts in with data attributes:
//   <form data-confirm="Cancel the order?">   asks before the form is sent
//   <button data-confirm="Delete?">            asks before this button submits (htmx's own
//                                              hx-confirm takes over where htmx runs)
//   <select data-autosubmit>                   sends its form when the choice changes
//   <button type="button" data-print>          prints the page
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-confirm],[data-print]");
    if (!el || el.tagName === "FORM") return;
    if (el.hasAttribute("data-print")) { window.print(); return; }
    if (el.hasAttribute("hx-confirm") && window.htmx) return;
    if (!window.confirm(el.getAttribute("data-confirm"))) event.preventDefault();
  }, true);
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) el.form.requestSubmit();
  });
})();
