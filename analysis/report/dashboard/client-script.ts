/**
 * The page's own script (plain ES2019, inlined): reads the embedded JSON, builds one Chart.js chart per
 * canvas, and exposes them as `window.__charts` (id -> Chart) for checks.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var source = document.getElementById('dashboard-data');
  var data = JSON.parse(source.textContent);
  var charts = {};
  window.__charts = charts;
  function usd(v) {
    var a = Math.abs(v);
    var text = a === 0 ? '0' : a >= 100 ? Math.round(a).toLocaleString('en-US') : a >= 0.1 ? a.toFixed(2) : a.toFixed(Math.min(10, 2 - Math.floor(Math.log10(a))));
    return (v < 0 ? '-$' : '$') + text;
  }
  var formats = {
    usd: usd,
    ms: function (v) { return Math.round(v) + ' ms'; },
    fraction: function (v) { return (100 * v).toFixed(1) + '%'; },
    percent: function (v) { return Math.round(v * 10) / 10 + '%'; },
    number: function (v) { return Math.abs(v) < 10 ? String(Math.round(v * 1e4) / 1e4) : Math.round(v).toLocaleString('en-US'); },
    minutes: function (v) { return (Math.round(v * 10) / 10) + ' min'; }
  };
  // Ticks printed with as many decimals as their step needs, so a narrow range never repeats a label.
  function stepFormat(name, step) {
    var scaled = name === 'fraction' ? 100 * step : step;
    var d = Math.max(0, Math.min(10, Math.ceil(-Math.log10(scaled) - 1e-9)));
    return function (v) {
      if (name === 'usd') return (v < 0 ? '-$' : '$') + Math.abs(v).toFixed(d);
      if (name === 'fraction') return (100 * v).toFixed(d) + '%';
      var unit = { ms: ' ms', percent: '%', minutes: ' min' }[name] || '';
      return v.toFixed(d) + unit;
    };
  }
  // Sub-dime dollar ticks drop trailing zeros ($0.002, not $0.00200); the value they print is the same.
  function usdTick(v) {
    var text = usd(v);
    return Math.abs(v) < 0.1 ? text.replace(/(\.\d*?[1-9])0+$/, '$1') : text;
  }
  function tickCallback(name, f) {
    var label = name === 'usd' ? usdTick : f;
    return function (v, i, ticks) {
      var labels = ticks.map(function (t) { return label(t.value); });
      if (new Set(labels).size === labels.length || ticks.length < 2) return labels[i];
      return stepFormat(name, Math.abs(ticks[1].value - ticks[0].value))(v);
    };
  }
  // A chart has data when a dataset other than a reference line holds a point, an interval or a non-zero value.
  function hasData(spec) {
    return spec.datasets.some(function (d) {
      return d.role !== 'sla' && d.data.some(function (x) { return x !== null && (typeof x !== 'number' || x !== 0); });
    });
  }
  function noData(canvas) {
    var box = canvas.parentNode;
    var p = document.createElement('p');
    p.className = 'empty no-data';
    p.textContent = 'No data yet';
    box.parentNode.replaceChild(p, box);
  }
  function fmt(name) { return formats[name] || formats.number; }
  function scale(axis) {
    var s = { type: axis.type || 'linear', title: { display: true, text: axis.title, font: { weight: 'bold' } } };
    if (axis.min !== undefined) s.min = axis.min;
    if (axis.max !== undefined) s.max = axis.max;
    if (axis.stacked) s.stacked = true;
    if (axis.suggestedMin !== undefined) s.suggestedMin = axis.suggestedMin;
    if (axis.suggestedMax !== undefined) s.suggestedMax = axis.suggestedMax;
    var fitted = axis.suggestedMin !== undefined || axis.suggestedMax !== undefined;
    if (s.type === 'linear' && axis.min === undefined && axis.max === undefined && !fitted) s.grace = '5%';
    if (s.type !== 'category') {
      var f = fmt(axis.format);
      s.ticks = { maxTicksLimit: 6, maxRotation: 0, callback: tickCallback(axis.format, f) };
    }
    return s;
  }
  function tooltipLabel(spec) {
    var valueAxis = spec.indexAxis === 'y' ? spec.axes.x : spec.axes.y;
    var fv = fmt(spec.valueFormat || (valueAxis && valueAxis.format));
    return function (ctx) {
      var raw = ctx.raw;
      if (spec.type === 'doughnut') return ctx.label + ': ' + fv(raw);
      if (Array.isArray(raw)) return ctx.dataset.label + ': [' + fv(raw[0]) + ', ' + fv(raw[1]) + ']';
      if (raw && typeof raw === 'object') {
        return (raw.label || ctx.dataset.label) + ' — ' + fmt(spec.axes.x.format)(raw.x) + ', ' + fmt(spec.axes.y.format)(raw.y);
      }
      return ctx.dataset.label + ': ' + fv(raw);
    };
  }
  function pointLabels(chart) {
    var ctx = chart.ctx;
    ctx.save();
    ctx.font = '11px sans-serif';
    ctx.fillStyle = '#333';
    chart.data.datasets.forEach(function (ds, i) {
      if (ds.role !== 'configs') return;
      chart.getDatasetMeta(i).data.forEach(function (el, j) {
        var p = ds.data[j];
        if (!p || !p.label) return;
        var width = ctx.measureText(p.label).width;
        var right = el.x + 10 + width > chart.chartArea.right;
        ctx.textAlign = right ? 'right' : 'left';
        ctx.fillText(p.label, right ? el.x - 10 : el.x + 10, el.y - 8);
      });
    });
    ctx.restore();
  }
  var labelPlugin = { id: 'pointLabels', afterDatasetsDraw: pointLabels };
  var empty = 0;
  data.charts.forEach(function (spec) {
    var canvas = document.getElementById(spec.id);
    if (!canvas) return;
    if (!hasData(spec)) {
      noData(canvas);
      empty++;
      return;
    }
    var scales = {};
    Object.keys(spec.axes).forEach(function (k) { scales[k] = scale(spec.axes[k]); });
    var options = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { position: 'bottom', labels: { usePointStyle: true, boxWidth: 8, boxHeight: 8, font: { size: 11 } } }, tooltip: { callbacks: { label: tooltipLabel(spec) } } }
    };
    if (spec.type !== 'doughnut') options.scales = scales;
    if (spec.indexAxis) options.indexAxis = spec.indexAxis;
    var config = { type: spec.type, data: { datasets: spec.datasets }, options: options, plugins: spec.type === 'scatter' ? [labelPlugin] : [] };
    if (spec.labels) config.data.labels = spec.labels;
    charts[spec.id] = new Chart(canvas, config);
  });
  document.body.setAttribute('data-charts-empty', String(empty));
  document.body.setAttribute('data-charts-ready', String(Object.keys(charts).length));
})();
`;
