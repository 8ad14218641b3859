// The area profile: the spine chart (Vega-Lite), from the page's released figures.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("profile-data").textContent);
  if (data.spine) vegaEmbed("#spine-chart", data.spine, { actions: false, renderer: "svg" });
})();
