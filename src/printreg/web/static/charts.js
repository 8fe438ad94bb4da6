// Renders every Vega-Lite spec of the page (JSON in #chart-specs) into the element
// with id "chart-<name>"; charts use the vendored vega, vega-lite, vega-embed and
// vega-interpreter.
(function () {
  function render() {
    var holder = document.getElementById("chart-specs");
    if (!holder || typeof vegaEmbed === "undefined") { return; }
    var specs = JSON.parse(holder.textContent);
    Object.keys(specs).forEach(function (name) {
      var target = document.getElementById("chart-" + name);
      if (!target) { return; }
      // ast + the interpreter: no eval (the Content-Security-Policy forbids it); no
      // injected <style> elements either (their rules are in printreg.css).
      vegaEmbed(target, specs[name], {
        actions: false,
        renderer: "svg",
        ast: true,
        expr: vega.expressionInterpreter,
        defaultStyle: false,
        tooltip: { disableDefaultStyle: true },
      })
        .then(function () { target.setAttribute("data-rendered", "true"); })
        .catch(function (error) {
          target.textContent = "This chart could not be drawn: " + error;
        });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
