// The style form in the admin: fields that follow the kind, the preset gallery, and a live theme
// preview with contrast ratios. The colour maths is stylerec_plugin/themes.py's, line for line
// (a browser test checks both give the same colours). Without JavaScript every field is shown,
// the presets are edited as JSON and the preview shows the saved theme.
(function () {
  "use strict";

  // --- colour maths (themes.py) ---------------------------------------------------------------
  var TEXT = 4.5, UI = 3.0, MARGIN = 0.05, WHITE = "#ffffff", BLACK = "#000000";
  var HEX = /^#[0-9a-fA-F]{6}$/;

  function rgb(colour) {
    return [1, 3, 5].map(function (i) { return parseInt(colour.substr(i, 2), 16); });
  }
  function roundHalfEven(x) { // Python's round()
    var r = Math.round(x);
    return (Math.abs(x % 1) === 0.5 && r % 2 !== 0) ? r - 1 : r;
  }
  function hex(channels) {
    return "#" + channels.map(function (c) {
      var v = Math.max(0, Math.min(255, roundHalfEven(c)));
      return (v < 16 ? "0" : "") + v.toString(16);
    }).join("");
  }
  function linear(c) { var v = c / 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }
  function luminance(colour) {
    var c = rgb(colour).map(linear);
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  function mix(colour, towards, amount) {
    var s = rgb(colour), e = rgb(towards);
    return hex(s.map(function (a, i) { return a + (e[i] - a) * amount; }));
  }
  function worst(colour, backdrops) {
    return Math.min.apply(null, backdrops.map(function (b) { return contrast(colour, b); }));
  }
  function nearestPassing(colour, backdrops, minimum) {
    if (worst(colour, backdrops) >= minimum) return colour;
    var target = minimum + MARGIN;
    var mean = backdrops.reduce(function (sum, b) { return sum + luminance(b); }, 0) / backdrops.length;
    var order = mean < 0.18 ? [WHITE, BLACK] : [BLACK, WHITE];
    for (var k = 0; k < order.length; k++) {
      var towards = order[k];
      if (worst(towards, backdrops) < target) continue;
      var low = 0, high = 1;
      for (var step = 0; step < 18; step++) {
        var middle = (low + high) / 2;
        if (worst(mix(colour, towards, middle), backdrops) >= target) high = middle; else low = middle;
      }
      return mix(colour, towards, high);
    }
    return worst(WHITE, backdrops) >= worst(BLACK, backdrops) ? WHITE : BLACK;
  }
  function onColour(fill, preferred) {
    var candidates = [WHITE, preferred];
    for (var i = 0; i < candidates.length; i++) {
      if (candidates[i] && contrast(candidates[i], fill) >= TEXT) return candidates[i];
    }
    return contrast(WHITE, fill) >= contrast(BLACK, fill) ? WHITE : BLACK;
  }
  function derive(p) {
    var page = [p.background, p.surface];
    var text = nearestPassing(p.text, page, TEXT);
    return {
      "primary": p.primary, "accent": p.accent, "background": p.background, "surface": p.surface, "text": text,
      "on-primary": onColour(p.primary, text),
      "on-accent": onColour(p.accent, text),
      "on-background": nearestPassing(text, [p.background], TEXT),
      "on-surface": nearestPassing(text, [p.surface], TEXT),
      "primary-text": nearestPassing(p.primary, page, TEXT),
      "accent-text": nearestPassing(p.accent, page, TEXT),
      "muted-text": nearestPassing(mix(text, p.background, 0.35), page, TEXT),
      "border": nearestPassing(mix(text, p.background, 0.45), page, UI)
    };
  }
  // Which emitted colour sits on which stored one, per row of the ratio table (themes.contrast_checks).
  var CHECKS = {
    "text-background": ["text", "background", TEXT], "text-surface": ["text", "surface", TEXT],
    "muted-surface": ["muted-text", "surface", TEXT], "on-primary": ["on-primary", "primary", TEXT],
    "on-accent": ["on-accent", "accent", TEXT], "primary-background": ["primary-text", "background", TEXT],
    "primary-surface": ["primary-text", "surface", TEXT], "accent-background": ["accent-text", "background", TEXT],
    "accent-surface": ["accent-text", "surface", TEXT], "border-background": ["border", "background", UI]
  };
  window.stylerecThemeColours = derive; // for the browser test that compares with themes.py

  function livePreview() {
    var preview = document.querySelector("[data-stylerec-preview]");
    var inputs = {};
    ["primary", "accent", "background", "surface", "text"].forEach(function (key) {
      inputs[key] = document.getElementById("id_theme_" + key);
    });
    if (!preview || !inputs.primary) return;
    function update() {
      var palette = {};
      for (var key in inputs) {
        if (!inputs[key] || !HEX.test(inputs[key].value)) return;
        palette[key] = inputs[key].value.toLowerCase();
      }
      var colours = derive(palette);
      for (var name in colours) preview.style.setProperty("--stylerec-" + name, colours[name]);
      preview.querySelectorAll("tr[data-check]").forEach(function (row) {
        var check = CHECKS[row.dataset.check];
        if (!check) return;
        var fg = colours[check[0]], bg = palette[check[1]], ratio = contrast(fg, bg);
        var chips = row.querySelectorAll(".chip");
        chips[0].style.background = fg;
        chips[1].style.background = bg;
        row.querySelector(".fg").textContent = fg;
        row.querySelector(".bg").textContent = bg;
        row.querySelector(".ratio").textContent = ratio.toFixed(2) + ":1";
        var passes = ratio >= check[2];
        row.classList.toggle("pass", passes);
        row.classList.toggle("fail", !passes);
        row.querySelector(".result").textContent = (passes ? "passes" : "fails") + " (" + check[2].toFixed(1) + ":1)";
        var adjusted = row.querySelector(".adjusted");
        if (adjusted) adjusted.hidden = true; // the saved note no longer applies while editing
      });
      var notes = preview.querySelector(".preview-notes");
      if (notes) notes.hidden = true;
    }
    for (var key in inputs) if (inputs[key]) inputs[key].addEventListener("input", update);
  }

  // --- fields that follow the kind ------------------------------------------------------------
  function kindFields() {
    var data = document.getElementById("stylerec-kind-fields");
    var dependent = document.getElementById("stylerec-kind-dependent");
    var kind = document.getElementById("id_kind");
    if (!data || !dependent || !kind) return;
    var byKind = JSON.parse(data.textContent), names = JSON.parse(dependent.textContent);
    function update() {
      var wanted = byKind[kind.value];
      names.forEach(function (name) {
        document.querySelectorAll(".form-row.field-" + name + ", .fieldBox.field-" + name).forEach(function (row) {
          row.hidden = !!wanted && wanted.indexOf(name) === -1;
        });
      });
    }
    kind.addEventListener("change", update);
    update();
  }

  // --- preset gallery -------------------------------------------------------------------------
  function gallery() {
    var root = document.querySelector("[data-stylerec-gallery]");
    if (!root) return;
    var field = root.querySelector("textarea");
    root.classList.add("is-enhanced");
    var details = root.querySelector("details");
    if (details) details.open = false;
    function write() {
      var weights = {};
      root.querySelectorAll(".tile").forEach(function (tile) {
        var use = tile.querySelector(".tile-use"), weight = parseFloat(tile.querySelector(".tile-weight-input").value);
        tile.classList.toggle("is-on", use.checked);
        if (use.checked && weight > 0) weights[tile.dataset.index] = weight;
      });
      field.value = JSON.stringify(weights);
    }
    function read() {
      var weights;
      try { weights = JSON.parse(field.value || "{}"); } catch (error) { return; }
      root.querySelectorAll(".tile").forEach(function (tile) {
        var value = weights[tile.dataset.index];
        tile.querySelector(".tile-use").checked = value > 0;
        if (value > 0) tile.querySelector(".tile-weight-input").value = value;
        tile.classList.toggle("is-on", value > 0);
      });
    }
    root.addEventListener("change", function (event) { if (event.target !== field) write(); });
    root.addEventListener("input", function (event) { if (event.target.classList.contains("tile-weight-input")) write(); });
    field.addEventListener("input", read);
  }

  function start() { livePreview(); kindFields(); gallery(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
