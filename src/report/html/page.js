// trainbench pages: hover tooltips, sortable tables, and a configuration's table row linked
// with its marks in the figures (data-cfg). Plain JavaScript, nothing fetched.
(function () {
  "use strict";
  var tip = document.getElementById("tip");

  // Hover texts live in SVG <title> elements (the browser's tooltip without JavaScript);
  // move them to data-tip so that one styled tooltip shows them.
  Array.prototype.forEach.call(document.querySelectorAll("svg title"), function (t) {
    var el = t.parentNode;
    if (el && el.tagName.toLowerCase() !== "svg") {
      el.setAttribute("data-tip", t.textContent);
      el.removeChild(t);
    }
  });

  function place(ev) {
    var pad = 14, w = tip.offsetWidth, h = tip.offsetHeight;
    var x = ev.clientX + pad, y = ev.clientY + pad;
    if (x + w > window.innerWidth - 4) { x = Math.max(4, ev.clientX - w - pad); }
    if (y + h > window.innerHeight - 4) { y = Math.max(4, ev.clientY - h - pad); }
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }

  // Highlighting: every element with the same data-cfg inside one section.
  var pinned = null;
  function scopeOf(el) { return el.closest("section") || document.body; }
  function mark(scope, key, on) {
    if (!key) { return; }
    Array.prototype.forEach.call(scope.querySelectorAll("[data-cfg]"), function (e) {
      if (e.getAttribute("data-cfg") === key) { e.classList.toggle("hl", on); }
    });
    scope.classList.toggle("focus", on);
  }
  function clearPin() {
    if (!pinned) { return; }
    mark(pinned.scope, pinned.key, false);
    Array.prototype.forEach.call(document.querySelectorAll("tr.pinned"), function (r) {
      r.classList.remove("pinned");
    });
    pinned = null;
  }
  function pin(scope, key) {
    var same = pinned && pinned.key === key && pinned.scope === scope;
    clearPin();
    if (same) { return; }
    pinned = { scope: scope, key: key };
    mark(scope, key, true);
    var row = document.getElementById("row-" + key);
    if (row) { row.classList.add("pinned"); }
  }

  document.addEventListener("mouseover", function (ev) {
    var t = ev.target.closest ? ev.target.closest("[data-tip]") : null;
    if (t) {
      tip.textContent = t.getAttribute("data-tip");
      tip.hidden = false;
      place(ev);
    }
    var c = ev.target.closest ? ev.target.closest("[data-cfg]") : null;
    if (c && !pinned) { mark(scopeOf(c), c.getAttribute("data-cfg"), true); }
  });
  document.addEventListener("mousemove", function (ev) { if (!tip.hidden) { place(ev); } });
  document.addEventListener("mouseout", function (ev) {
    var t = ev.target.closest ? ev.target.closest("[data-tip]") : null;
    if (t && !(ev.relatedTarget && t.contains(ev.relatedTarget))) { tip.hidden = true; }
    var c = ev.target.closest ? ev.target.closest("[data-cfg]") : null;
    if (c && !pinned && !(ev.relatedTarget && c.contains(ev.relatedTarget))) {
      mark(scopeOf(c), c.getAttribute("data-cfg"), false);
    }
  });
  document.addEventListener("click", function (ev) {
    var c = ev.target.closest ? ev.target.closest("[data-cfg]") : null;
    if (!c) { return; }
    if (ev.target.closest("a") && c.tagName.toLowerCase() === "tr") { return; }
    pin(scopeOf(c), c.getAttribute("data-cfg"));
  });

  // Sortable tables: a click on a header sorts by that column; again reverses.
  function keyOf(row, i) {
    var cell = row.cells[i];
    if (!cell) { return { n: NaN, s: "" }; }
    var v = cell.getAttribute("data-v");
    return { n: v === null || v === "" ? NaN : parseFloat(v), s: cell.textContent.trim() };
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, i) {
      var button = th.querySelector("button") || th;
      button.addEventListener("click", function () {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var numeric = rows.some(function (r) { return !isNaN(keyOf(r, i).n); });
        rows.sort(function (a, b) {
          var x = keyOf(a, i), y = keyOf(b, i);
          if (numeric) {
            if (isNaN(x.n) && isNaN(y.n)) { return 0; }
            if (isNaN(x.n)) { return 1; }
            if (isNaN(y.n)) { return -1; }
            return dir * (x.n - y.n);
          }
          return dir * x.s.localeCompare(y.s, undefined, { numeric: true });
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
