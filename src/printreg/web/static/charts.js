// Renders every Vega-Lite spec of the page (JSON in #chart-specs) into the element
// with id "chart-<name>"; charts use the vendored vega, vega-lite, vega-embed and
// vega-interpreter.
(function () {
  function titleOf(spec) {
    var title = spec.title;
    if (title && typeof title === "object" && !Array.isArray(title)) { title = title.text; }
    return Array.isArray(title) ? title.join(" ") : title;
  }

  function render() {
    var holder = document.getElementById("chart-specs");
    if (!holder || typeof vegaEmbed === "undefined") { return; }
    var specs = JSON.parse(holder.textContent);
    Object.keys(specs).forEach(function (name) {
      var target = document.getElementById("chart-" + name);
      if (!target) { return; }
      var spec = specs[name];
      // ast + the interpreter: no eval (the Content-Security-Policy forbids it); no
      // injected <style> elements either (their rules are in printreg.css).
      vegaEmbed(target, spec, {
        actions: false,
        renderer: "svg",
        ast: true,
        expr: vega.expressionInterpreter,
        defaultStyle: false,
        tooltip: { disableDefaultStyle: true },
      })
        .then(function () {
          // One picture to assistive technology, named by the chart's description or title:
          // vega's per-mark ARIA leaves hundreds of unnamed marks, which no reader can use.
          if (!target.getAttribute("aria-label")) {
            target.setAttribute("aria-label", spec.description || titleOf(spec) || name);
          }
          target.setAttribute("role", "img");
          target.querySelectorAll("svg").forEach(function (svg) {
            svg.setAttribute("aria-hidden", "true");
          });
          target.setAttribute("data-rendered", "true");
        })
        .catch(function (error) {
          target.textContent = "This chart could not be drawn: " + error;
        });
    });
  }
  // A link to a row inside a closed <details> (a headline's "details") opens it first, so
  // the row it points at is shown rather than hidden.
  function reveal() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
    if (target) { target.scrollIntoView(); }
  }
  function start() {
    render();
    reveal();
    window.addEventListener("hashchange", reveal);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
