// The statistics dashboard: ECharts from the server's figures (#dashboard-data), and ledger
// exports built in the background (one POST, then polling the job until its file is ready).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const charts = [];

  function bar(names, series) {
    return {
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 40, right: 10, top: 30, bottom: 60 },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: series.map((s) => ({ name: s.name, type: "bar", data: s.data })),
    };
  }
  function pie(pairs) {
    return {
      tooltip: { trigger: "item" }, legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: ["35%", "65%"], data: pairs, label: { formatter: "{b}: {c}" } }],
    };
  }
  function options(name) {
    if (name === "units") return bar(data.units.names, data.units.series);
    if (name === "channel" || name === "category") {
      return bar(data[name].map((p) => p.name), [{ name: "", data: data[name].map((p) => p.value) }]);
    }
    return pie(data[name].filter((p) => p.value > 0));
  }
  if (window.echarts) {
    document.querySelectorAll("[data-chart]").forEach((el) => {
      const chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(Object.assign({ animation: false }, options(el.dataset.chart)));
      charts.push(chart);
    });
    window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
  }

  const ledgers = document.getElementById("ledgers");
  if (!ledgers) return;
  const buttons = () => ledgers.querySelectorAll("[data-ledger]");
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function call(url, options) {
    const response = await fetch(url, Object.assign({ credentials: "same-origin" }, options));
    return response.json();
  }
  function show(box, job) {
    const bar = box.querySelector("progress");
    const status = box.querySelector(".ledger-status");
    bar.hidden = false;
    if (job.rows_total) {
      bar.max = job.rows_total;
      bar.value = job.rows_written;
    } else if (job.status === "done") {
      bar.max = 1;
      bar.value = 1;
    }
    status.textContent = ledgers.dataset.progress
      .replace("{done}", job.rows_written).replace("{total}", job.rows_total == null ? "…" : job.rows_total);
  }

  async function build(button) {
    const box = button.closest(".ledger");
    const link = box.querySelector("a.download");
    link.hidden = true;
    // One ledger at a time: a user may have two jobs running, and a refused start is an error.
    buttons().forEach((b) => { b.disabled = true; });
    try {
      let job = await call(ledgers.dataset.start.replace("KIND", button.dataset.ledger), {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": window.cluedesk.csrf() },
        body: JSON.stringify({ from: ledgers.dataset.from, to: ledgers.dataset.to, unit: ledgers.dataset.unit }),
      });
      while (job.status === "queued" || job.status === "running") {
        show(box, job);
        await sleep(300);
        job = await call(ledgers.dataset.job.replace("JOB", job.id));
      }
      if (job.status === "done") {
        show(box, job);
        link.href = job.download;
        link.textContent = job.filename;
        link.setAttribute("download", job.filename);
        link.hidden = false;
      } else {
        box.querySelector(".ledger-status").textContent = job.error || job.message || ledgers.dataset.failed;
      }
    } finally {
      buttons().forEach((b) => { b.disabled = false; });
    }
  }
  ledgers.addEventListener("click", (event) => {
    const button = event.target.closest("[data-ledger]");
    if (button) build(button);
  });
})();
