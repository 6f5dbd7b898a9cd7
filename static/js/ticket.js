// The staff ticket page. Canned replies: insert the filled-in text at the cursor; without
// JavaScript the link reloads the page with the reply in the box.
(function () {
  document.querySelectorAll(".canned-reply").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var box = document.getElementById("id_body");
      if (!box) return;
      event.preventDefault();
      var start = box.selectionStart || box.value.length, end = box.selectionEnd || box.value.length;
      box.value = box.value.slice(0, start) + link.dataset.text + box.value.slice(end);
      box.focus();
    });
  });
})();
