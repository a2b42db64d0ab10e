import { readFileSync } from 'node:fs';
import { Histogram } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { prometheusTelemetry } from '../gateway/telemetry/prometheus.ts';

/** Canary gauges the canary controller exports; used when the gateway's registry does not define them. */
const CANARY_GAUGES: Record<string, string[]> = {
  gateway_canary_stage: ['canary'],
  gateway_canary_weight_percent: ['canary'],
  gateway_canary_quality: ['canary', 'arm'],
  gateway_canary_quality_delta: ['canary'],
  gateway_canary_p95_latency_seconds: ['canary', 'arm'],
};
const GRAFANA_VARIABLES = new Set(['__rate_interval', '__interval', '__range', '__range_s']);

const Target = z.object({
  expr: z.string().min(1),
  refId: z.string(),
  legendFormat: z.string().optional(),
  datasource: z.object({ type: z.literal('prometheus'), uid: z.string() }),
});
const Panel = z.object({
  id: z.number().int().positive(),
  type: z.string(),
  title: z.string().min(1),
  gridPos: z.object({ h: z.number().positive(), w: z.number().positive().max(24), x: z.number().min(0).max(23), y: z.number().min(0) }),
  targets: z.array(Target).optional(),
});
const Dashboard = z.object({
  title: z.string().min(1),
  uid: z.string().min(1),
  schemaVersion: z.number().int().min(36),
  panels: z.array(Panel).min(1),
  templating: z.object({
    list: z.array(z.object({ name: z.string(), type: z.string(), query: z.union([z.string(), z.object({ query: z.string() })]) })),
  }),
});

const dashboard = Dashboard.parse(JSON.parse(readFileSync('grafana/gateway-dashboard.json', 'utf8')));

/** Metric name -> label names, from the registry the gateway builds (histograms: the series' names with `le`). */
function knownMetrics(): Map<string, Set<string>> {
  const { registry } = prometheusTelemetry({ defaultMetrics: false });
  const out = new Map<string, Set<string>>();
  for (const m of registry.getMetricsAsArray()) {
    const labels = [...((m as unknown as { labelNames?: string[] }).labelNames ?? [])];
    if (m instanceof Histogram) {
      out.set(`${m.name}_bucket`, new Set([...labels, 'le']));
      out.set(`${m.name}_sum`, new Set(labels));
      out.set(`${m.name}_count`, new Set(labels));
    } else {
      out.set(m.name, new Set(labels));
    }
  }
  for (const [name, labels] of Object.entries(CANARY_GAUGES)) if (!out.has(name)) out.set(name, new Set(labels));
  return out;
}

const metrics = knownMetrics();
const unquote = (text: string): string => text.replace(/"(?:[^"\\]|\\.)*"/g, '""');

/** Each metric selector in a PromQL expression: its name and the label names its matchers use. */
function selectors(expr: string): { name: string; labels: string[] }[] {
  const out: { name: string; labels: string[] }[] = [];
  for (const m of unquote(expr).matchAll(/\b(gateway_[a-z0-9_]+)\s*(?:\{([^}]*)\})?/g)) {
    out.push({ name: m[1]!, labels: [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1]!) });
  }
  return out;
}

/** Label names of every `by (...)` and `without (...)` clause. */
function groupings(expr: string): string[] {
  return [...unquote(expr).matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));
const variableQueries = dashboard.templating.list.flatMap((v) =>
  v.type === 'query' ? [typeof v.query === 'string' ? v.query : v.query.query] : [],
);

describe('Grafana dashboard', () => {
  it('reads label names from the gateway registry (so the checks below check something)', () => {
    expect([...metrics.get('gateway_requests_total')!]).toEqual(
      expect.arrayContaining(['route', 'intent', 'config', 'arm', 'traffic', 'status']),
    );
    expect(metrics.get('gateway_request_duration_seconds_bucket')!.has('le')).toBe(true);
  });

  it('has unique panel ids, a Prometheus query in every non-row panel and unique refIds per panel', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels.filter((x) => x.type !== 'row')) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      const refs = p.targets!.map((t) => t.refId);
      expect(new Set(refs).size, p.title).toBe(refs.length);
    }
    expect(targets.length).toBeGreaterThan(30);
  });

  it('queries only metrics the gateway exports, with labels those metrics have', () => {
    for (const t of targets) {
      const used = selectors(t.expr);
      expect(used.length, `${t.panel}: ${t.expr}`).toBeGreaterThan(0);
      for (const s of used) {
        const labels = metrics.get(s.name);
        expect(labels, `${t.panel}: unknown metric ${s.name}`).toBeDefined();
        for (const l of s.labels) expect(labels!.has(l), `${t.panel}: ${s.name} has no label ${l}`).toBe(true);
        for (const l of groupings(t.expr)) expect(labels!.has(l), `${t.panel}: by/without ${l} is not a label of ${s.name}`).toBe(true);
      }
    }
  });

  it('names in legends only labels the query keeps', () => {
    for (const t of targets) {
      const kept = new Set(groupings(t.expr));
      for (const m of (t.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g))
        expect(kept.has(m[1]!), `${t.panel}: legend {{${m[1]}}}`).toBe(true);
    }
  });

  it('covers traffic, tokens, cost, latency and TTFT quantiles by intent, config and arm, the sink counters and the canary gauges', () => {
    const all = targets.map((t) => t.expr).join('\n');
    for (const name of [...metrics.keys()].filter((n) => n.startsWith('gateway_') && !n.endsWith('_sum') && !n.endsWith('_count'))) {
      expect(all, `no panel uses ${name}`).toContain(name);
    }
    expect(all).toMatch(/histogram_quantile\(0\.95, sum by \(le, intent\) \(rate\(gateway_time_to_first_token_seconds_bucket/);
    for (const by of ['intent', 'config', 'arm']) expect(all).toContain(`sum by (${by}) (rate(gateway_cost_usd_total`);
  });

  it('defines every template variable the queries use, from label values of real labels', () => {
    const names = new Set(dashboard.templating.list.map((v) => v.name));
    expect(names).toEqual(new Set(['datasource', 'route', 'intent', 'config', 'arm', 'traffic', 'canary']));
    for (const text of [...targets.map((t) => t.expr), ...variableQueries]) {
      for (const m of text.matchAll(/\$(\w+)/g)) expect(names.has(m[1]!) || GRAFANA_VARIABLES.has(m[1]!), `$${m[1]} in ${text}`).toBe(true);
    }
    for (const q of variableQueries) {
      const m = /^label_values\((gateway_[a-z0-9_]+)(?:\{[^}]*\})?,\s*(\w+)\)$/.exec(q);
      expect(m, q).not.toBeNull();
      expect(metrics.get(m![1]!)?.has(m![2]!), q).toBe(true);
      for (const s of selectors(q)) for (const l of s.labels) expect(metrics.get(s.name)!.has(l), q).toBe(true);
    }
  });
});
