// The catalogue's filters fold behind one "Filter" button on a phone (a <details>, which works
// without JavaScript); on a wider screen they stand open beside the grid.
(function () {
  var panel = document.getElementById("filter-panel");
  if (!panel || !window.matchMedia) return;
  var wide = window.matchMedia("(min-width: 641px)");
  function fit() { if (wide.matches) panel.open = true; }
  fit();
  wide.addEventListener("change", fit);
})();
