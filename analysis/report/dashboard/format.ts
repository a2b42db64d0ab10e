const dash = '–';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A number with fixed decimals, or a dash. */
export function num(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? dash : x.toFixed(digits);
}

/** A fraction as a percentage, or a dash. */
export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? dash : `${(100 * x).toFixed(digits)}%`;
}

/** US dollars; small amounts (per request) keep five decimals, large ones none. */
export function usd(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return dash;
  const abs = Math.abs(x);
  const text = abs >= 100 ? Math.round(abs).toLocaleString('en-US') : abs >= 1 ? abs.toFixed(2) : abs.toFixed(5);
  return `${x < 0 ? '-' : ''}$${text}`;
}

/** Milliseconds, rounded. */
export function ms(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? dash : `${Math.round(x)} ms`;
}

/** A p-value, in scientific notation when tiny. */
export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return dash;
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

/** An epoch-ms time as ISO 8601 (UTC, seconds). */
export function isoTime(at: number | null | undefined): string {
  return at === null || at === undefined || !Number.isFinite(at) ? dash : new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An HTML table; cells are HTML already escaped by the caller. */
export function table(head: string[], rows: string[][], className = ''): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table${className ? ` class="${className}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** A paragraph saying that a section has nothing to show. */
export function empty(text: string): string {
  return `<p class="empty">${escapeHtml(text)}</p>`;
}
