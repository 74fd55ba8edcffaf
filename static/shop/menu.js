// The header menu on phones: a real button with aria-expanded. Without JavaScript the
// button stays hidden and the menu is simply shown (the "js" class is never set).
(function () {
  "use strict";
  var button = document.getElementById("menu-toggle");
  var menu = document.getElementById("site-menu");
  if (!button || !menu) return;
  button.hidden = false;
  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("is-open", open);
  }
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
})();
