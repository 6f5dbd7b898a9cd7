// Behaviour that used to sit in inline handlers (onsubmit=, onclick=), which the
// Content-Security-Policy forbids. Markup opts in with data attributes:
//   <form data-confirm="Cancel the order?">   asks before the form is sent
//   <button data-confirm="Delete?">            asks before this button submits (htmx's own
//                                              hx-confirm takes over where htmx runs)
//   <select data-autosubmit>                   sends its form when the choice changes
//   <button type="button" data-print>          prints the page
//   <input name="next" data-current-url>       is set to the address shown when the form is sent
//                                              (htmx filters push a new one without a reload)
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var here = form.querySelector && form.querySelector("input[data-current-url]");
    if (here) here.value = window.location.pathname + window.location.search;
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

// Product photos: thumbnails switch the main photo in place; without JavaScript they open the
// large photo.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest(".thumbs a[data-photo]");
  if (!link) return;
  event.preventDefault();
  document.querySelectorAll(".gallery .main").forEach(function (el) { el.hidden = el.id !== link.dataset.photo; });
  document.querySelectorAll(".thumbs a").forEach(function (el) { el.setAttribute("aria-current", el === link ? "true" : "false"); });
});

// <input type="file" data-preview="ID">: a local preview of the chosen photos before upload.
document.addEventListener("change", function (event) {
  var input = event.target;
  var id = input.getAttribute && input.getAttribute("data-preview");
  if (!id || !input.files) return;
  var box = document.getElementById(id);
  if (!box) return;
  box.textContent = "";
  Array.prototype.forEach.call(input.files, function (file) {
    if (!file.type.startsWith("image/")) return;
    var img = document.createElement("img");
    img.src = URL.createObjectURL(file); img.alt = file.name; img.width = 120;
    box.appendChild(img);
  });
});
