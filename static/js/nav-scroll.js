// On a phone the manage menu is one row that scrolls sideways inside itself: bring the current
// section into view, so that the lit link is seen even when it is the last one.
(function () {
  var current = document.querySelector(".manage-nav [aria-current=page]");
  if (!current) return;
  var row = current.closest(".manage-nav");
  if (row.scrollWidth <= row.clientWidth) return;
  row.scrollLeft = current.offsetLeft - (row.clientWidth - current.offsetWidth) / 2;
})();
