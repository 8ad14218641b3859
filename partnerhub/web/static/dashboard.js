// The indicator dashboard: choropleth (Leaflet, the app's own GeoJSON), charts (Vega-Lite).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("indicator-data").textContent);
  var colours = ["#d2e4f3", "#a6c9e7", "#6ea4d2", "#2f78b6", "#12436d"];  // sequential, GOV.UK-ish blues
  var known = Object.keys(data.values).map(function (k) { return data.values[k].value; })
    .filter(function (v) { return v !== null; }).sort(function (a, b) { return a - b; });
  function bin(v) {
    if (v === null || known.length === 0) return null;
    var rank = 0;
    while (rank < known.length && known[rank] < v) rank++;
    return Math.min(colours.length - 1, Math.floor(rank / known.length * colours.length));
  }
  var map = L.map("map", { zoomSnap: 0.25, attributionControl: false });
  fetch("/dashboard/boundaries/" + data.level + ".geojson").then(function (r) { return r.json(); })
    .then(function (geo) {
      var layer = L.geoJSON(geo, {
        style: function (f) {
          var code = f.properties.code || f.properties.area_code || f.id;
          var cell = data.values[code];
          var b = cell ? bin(cell.value) : null;
          return {
            color: code === data.selected ? "#0b0c0c" : "#505a5f",
            weight: code === data.selected ? 3 : 1,
            fillColor: b === null ? "#ffffff" : colours[b],
            fillOpacity: 0.85
          };
        },
        onEachFeature: function (f, l) {
          var code = f.properties.code || f.properties.area_code || f.id;
          var cell = data.values[code];
          if (!cell) return;
          l.bindTooltip(cell.name + ": " + (cell.value === null ? "[c]" : cell.value));
          l.on("click", function () { window.location = data.link + "&area=" + encodeURIComponent(code); });
        }
      }).addTo(map);
      map.fitBounds(layer.getBounds());
      document.getElementById("map").setAttribute("data-rendered", layer.getLayers().length);
      var legend = "Lowest";
      colours.forEach(function (c) { legend += '<span class="ph-legend-swatch" style="background:' + c + '"></span>'; });
      document.getElementById("map-legend").innerHTML = legend + " highest. White: withheld [c].";
    });
  var opts = { actions: false, renderer: "svg" };
  vegaEmbed("#compare-chart", data.compare, opts);
  if (data.trend) vegaEmbed("#trend-chart", data.trend, opts);
  if (data.funnel) vegaEmbed("#funnel-chart", data.funnel, opts);
})();
