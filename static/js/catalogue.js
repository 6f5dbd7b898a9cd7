// After back/forward, htmx restores the grid from its history cache but form fields keep the
// values the person last chose; set them from the address so the form matches the grid.
(function () {
  function syncForm() {
    var form = document.getElementById("filters");
    if (!form) return;
    var params = new URLSearchParams(window.location.search);
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      if (el.type === "checkbox") el.checked = params.get(el.name) === el.value;
      else if (el.tagName === "SELECT" || el.type === "search" || el.type === "number") el.value = params.get(el.name) || (el.tagName === "SELECT" && el.options.length ? el.options[0].value : "");
    });
  }
  document.addEventListener("htmx:historyRestore", syncForm);
  // A filter chip (or "Clear all") swaps the grid and the address; the form follows the address.
  document.addEventListener("htmx:pushedIntoHistory", syncForm);
  window.addEventListener("popstate", function () { setTimeout(syncForm, 0); });
})();
