// Before/after flip on the product page: swap the photo in place and tell the
// shop which style the shopper looked at (a "click" event with that style).
// The photo sits in a fixed frame and "Before" overlays it, so nothing under the
// shopper's finger moves. Without JavaScript each style is a plain ?show= link.
(function () {
  "use strict";
  var root = document.getElementById("flip");
  if (!root) return;
  var image = root.querySelector(".flip-image");
  var caption = document.getElementById("flip-caption");
  var before = root.querySelector(".flip-before");
  var labels = document.getElementById("flip-labels").dataset;
  var productId = root.dataset.productId;
  var token = document.querySelector("[name=csrfmiddlewaretoken]");

  function record(style) {
    var body = {product: Number(productId), kind: "click"};
    if (style !== "original") body.style = style;
    fetch(root.dataset.eventsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token ? token.value : ""},
      body: JSON.stringify(body)
    }).catch(function () { /* analytics must never break the page */ });
  }

  root.querySelectorAll("a.flip-button").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var data = button.dataset;
      if (image) {
        image.src = data.src;
        if (data.srcset) image.srcset = data.srcset; else image.removeAttribute("srcset");
        if (data.width) image.width = Number(data.width);
        if (data.height) image.height = Number(data.height);
        image.alt = data.alt;
        image.dataset.stylerecStyle = data.style;
      }
      caption.textContent = data.style === "original" ? labels.original : labels.after.replace("STYLE", data.name);
      if (before) before.hidden = data.style === "original";
      root.querySelectorAll("a.flip-button").forEach(function (other) {
        var active = other === button;
        other.classList.toggle("is-active", active);
        if (active) other.setAttribute("aria-current", "true"); else other.removeAttribute("aria-current");
      });
      record(data.style);
    });
  });
})();
