import { escapeHtml } from './format.ts';

/** Styles of the page: a readable grid of cards that works without any external resource. */
export const PAGE_STYLE = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;background:#f4f5f7}
header{background:#1f2d3d;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px;font-size:24px}
header p{margin:0;opacity:.85}
nav{display:flex;gap:16px;flex-wrap:wrap;padding:8px 28px;background:#e6e9ee;position:sticky;top:0;z-index:1}
nav a{color:#1f2d3d;text-decoration:none;font-weight:600}
main{padding:8px 28px 40px}
section{margin-top:28px}
section>h2{font-size:20px;border-bottom:2px solid #c9ced6;padding-bottom:4px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,1100px),1fr));gap:18px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:14px 16px;margin-bottom:18px;min-width:0}
.cards .card{margin-bottom:0}
.card h3{margin:0 0 6px;font-size:17px}
.chart-pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:12px}
figure.chart{margin:8px 0}
.chart-box{position:relative;height:300px}
figcaption{font-size:12px;color:#555;text-align:center}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:12px;margin-top:8px}
th,td{border-bottom:1px solid #e2e5ea;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f0f2f5}
small{color:#666}
.card td:first-child{min-width:120px;font-weight:600}
.tag{display:inline-block;white-space:nowrap;border-radius:3px;padding:0 4px;font-size:11px;color:#fff;margin-right:2px}
.tag.chosen{background:#d62728}.tag.current{background:#1f1f1f}.tag.front{background:#f28e2b}.tag.pass{background:#59a14f}
.tag.insufficient{background:#8c8c8c}.tag.tie{background:#4e79a7}
.decision{display:inline-block;border-radius:3px;padding:0 5px;color:#fff;font-size:11.5px;font-weight:600}
.empty{color:#666;font-style:italic;background:#fff;border:1px dashed #c9ced6;border-radius:6px;padding:12px}
.notice{background:#fff4e5;border:1px solid #f0b35b;border-radius:6px;padding:8px 12px;margin:12px 0 0}
.summary{display:flex;gap:14px;flex-wrap:wrap;margin-top:14px}
.summary div{background:#fff;border-radius:8px;padding:10px 16px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.summary strong{display:block;font-size:20px}
`;

/** One titled part of the page. */
export interface PagePart {
  id: string;
  title: string;
  html: string;
}

/** Assembles the document: head, header, navigation, parts, the embedded data, Chart.js and the page script. */
export function pageHtml(o: {
  title: string;
  subtitle: string;
  summary: string;
  parts: PagePart[];
  dataJson: string;
  chartJs: string;
  script: string;
}): string {
  const nav = o.parts.map((p) => `<a href="#${p.id}">${escapeHtml(p.title)}</a>`).join('');
  const sections = o.parts.map((p) => `<section id="${p.id}"><h2>${escapeHtml(p.title)}</h2>\n${p.html}\n</section>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(o.title)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(o.title)}</h1><p>${escapeHtml(o.subtitle)}</p></header>
<nav>${nav}</nav>
<main>
${o.summary}
${sections}
</main>
<script type="application/json" id="dashboard-data">${o.dataJson}</script>
<script>${o.chartJs}</script>
<script>${o.script}</script>
</body>
</html>
`;
}
