/* printreg: what every signed-in page does in the browser (progressive: each page works
 * without it).
 * - the main navigation collapses into a "Menu" button below 48rem (printreg.css); Escape
 *   closes it and gives the focus back to the button;
 * - a table or chart that scrolls sideways inside its box can be reached and scrolled by
 *   keyboard (tabindex, and a name for the region);
 * - the sticky Save/Submit bar reserves its own height at the bottom of the page's scroll
 *   area (--sticky-bar), so that a focused field is never scrolled under it. */
(function () {
  "use strict";

  var GAP = 12; // px kept between a focused field and the sticky bar

  function setOpen(header, button, nav, open) {
    nav.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function enhanceMenu() {
    var button = document.getElementById("menu-toggle");
    var nav = document.getElementById("main-nav");
    if (!button || !nav) return;
    var header = button.closest("header");
    header.classList.add("has-menu");
    button.hidden = false;
    button.addEventListener("click", function () {
      setOpen(header, button, nav, !nav.classList.contains("open"));
    });
    header.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        setOpen(header, button, nav, false);
        button.focus();
      }
    });
  }

  function nameOf(box) {
    var caption = box.querySelector("caption");
    if (caption) return caption.textContent.trim();
    var label = box.getAttribute("aria-label");
    if (label) return label;
    var section = box.closest("section, .card");
    var heading = section && section.querySelector("h2, h3");
    return heading ? heading.textContent.trim() : "Table";
  }

  // A box that scrolls sideways and holds nothing focusable cannot be scrolled by keyboard in
  // every browser: it becomes a focusable, named region while (and only while) it overflows.
  function markScrollers() {
    document.querySelectorAll("main table, main .chart, main .table-scroll").forEach(function (box) {
      var overflows = box.scrollWidth > box.clientWidth + 1;
      if (overflows && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.dataset.scrollFocus = "1";
        if (!box.getAttribute("role") && box.tagName !== "TABLE") box.setAttribute("role", "region");
        if (!box.getAttribute("aria-label") && !box.getAttribute("aria-labelledby")) {
          box.setAttribute("aria-label", nameOf(box) + " (scrolls sideways)");
        }
      } else if (!overflows && box.dataset.scrollFocus) {
        box.removeAttribute("tabindex");
        delete box.dataset.scrollFocus;
      }
    });
  }

  // The browser scrolls a focused field into view only when it is off screen; one that is on
  // screen but under the bar stays there. After the browser's own scroll, lift it above the bar
  // (never its top off the screen: a tall field shows its beginning).
  function liftAboveBar(bar, field) {
    if (bar.contains(field) || field === document.body) return;
    var box = field.getBoundingClientRect();
    var limit = bar.getBoundingClientRect().top - GAP;
    if (box.bottom > limit) window.scrollBy(0, Math.min(box.bottom - limit, box.top - GAP));
  }

  function reserveStickyBar() {
    var bar = document.querySelector(".form-actions");
    if (!bar) return;
    if (typeof ResizeObserver !== "undefined") {
      new ResizeObserver(function () {
        document.documentElement.style.setProperty("--sticky-bar", bar.offsetHeight + "px");
      }).observe(bar);
    }
    document.addEventListener("focusin", function (event) {
      window.requestAnimationFrame(function () { liftAboveBar(bar, event.target); });
    });
  }

  function start() {
    enhanceMenu();
    reserveStickyBar();
    markScrollers();
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(markScrollers, 150);
    });
    // charts are drawn after load (charts.js marks each one data-rendered)
    if (typeof MutationObserver !== "undefined") {
      new MutationObserver(markScrollers).observe(document.querySelector("main") || document.body, {
        attributes: true, attributeFilter: ["data-rendered"], subtree: true,
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
