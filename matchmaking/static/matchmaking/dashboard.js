// Draws the dashboard's charts with the vendored Chart.js, from the JSON that the page embeds.
// Without JavaScript the tables beside each chart carry the same figures.
(function () {
  "use strict";
  var data = document.getElementById("dashboard-charts");
  if (!data || typeof Chart === "undefined") {
    return;
  }
  // Okabe-Ito: told apart by people with colour-vision deficiencies.
  var colours = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"];
  JSON.parse(data.textContent).forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) {
      return;
    }
    new Chart(canvas, {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset, i) {
          return {
            label: dataset.label,
            data: dataset.data,
            backgroundColor: colours[i % colours.length],
            borderColor: colours[i % colours.length],
            tension: 0.2,
          };
        }),
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        scales: { [spec.horizontal ? "x" : "y"]: { beginAtZero: true } },
      },
    });
  });
})();
