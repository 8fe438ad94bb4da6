// Renders every Vega-Lite spec of the page (JSON in #chart-specs) into the element
// with id "chart-<name>"; charts use the vendored vega, vega-lite and vega-embed.
(function () {
  function render() {
    var holder = document.getElementById("chart-specs");
    if (!holder || typeof vegaEmbed === "undefined") { return; }
    var specs = JSON.parse(holder.textContent);
    Object.keys(specs).forEach(function (name) {
      var target = document.getElementById("chart-" + name);
      if (!target) { return; }
      vegaEmbed(target, specs[name], { actions: false, renderer: "svg" })
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
