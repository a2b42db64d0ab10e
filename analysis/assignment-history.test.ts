import { describe, expect, it } from 'vitest';
import { ConfigDocument, type AuditEntry } from '../schema/admin.ts';
import { memoryConfigStore } from '../stores/config/memory.ts';
import { readAuditLog } from '../stores/config/current.ts';
import { splitHistory } from './assignment-history.ts';

const exp = (split: number, status = 'running') => ({ id: 'e1', route: 'r', control: 'a', treatment: 'b', split, status });
const entry = (version: number, resource: string, after: unknown, action = 'update'): AuditEntry => ({
  version,
  time: 1_000 * version,
  actor: 'admin',
  action,
  resource,
  before: null,
  after,
});

describe('split history from the config store audit log', () => {
  it('follows seeds, creations, split changes, pauses, conclusions and deletions, oldest first', () => {
    const audit = [
      entry(6, 'experiments/e1', { experiment: exp(0.3, 'stopped'), route: {}, winner: 'b' }, 'conclude'),
      entry(1, 'config', { experiments: [exp(0.1)], routes: [] }, 'seed'),
      entry(2, 'routes/r', { name: 'r' }, 'replace'),
      entry(3, 'experiments/e1', exp(0.1)),
      entry(4, 'experiments/e1', exp(0.5)),
      entry(5, 'experiments/e1', exp(0.5, 'paused')),
      entry(7, 'experiments/other', exp(0.9)),
      entry(8, 'experiments/e1', exp(0.2), 'create'),
      entry(9, 'experiments/e1', null, 'delete'),
    ];
    expect(splitHistory(audit, 'e1')).toEqual([
      { version: 1, time: 1_000, split: 0.1 },
      { version: 4, time: 4_000, split: 0.5 },
      { version: 5, time: 5_000, split: null },
      { version: 8, time: 8_000, split: 0.2 },
      { version: 9, time: 9_000, split: null },
    ]);
    expect(splitHistory(audit, 'never-there')).toEqual([]);
  });

  it('reads every page of a store audit log', async () => {
    const store = memoryConfigStore();
    const config = {
      pricing: { a: { inputPer1k: 0.001, outputPer1k: 0.002 } },
      configs: [{ id: 'a', upstream: { provider: 'bedrock', modelId: 'a' }, maxTokens: 1 }],
      routes: [],
    };
    const doc = ConfigDocument.parse({ config });
    for (let v = 0; v < 1_203; v++) {
      const r = await store.commit(v, doc, { time: v, actor: 'a', action: 'update', resource: `routes/r${v}`, before: null, after: null });
      expect(r.ok).toBe(true);
    }
    const log = await readAuditLog(store);
    expect(log.map((e) => e.version)).toEqual(Array.from({ length: 1_203 }, (_, i) => i + 1));
  });
});
