// Starts Swagger UI on /api/docs from the vendored bundle (no CDN, no inline script).
(function () {
  function start() {
    var holder = document.getElementById("swagger-ui");
    window.ui = SwaggerUIBundle({
      url: holder.dataset.spec,
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
