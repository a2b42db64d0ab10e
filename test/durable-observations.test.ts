import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Observation } from '../schema/observation.ts';
import type { RecordBatch, RecordStore } from '../stores/observations/interface.ts';
import { readObservations } from '../stores/observations/sqlite.ts';
import { startStack } from './support/gateway.ts';

let stack: Awaited<ReturnType<typeof startStack>>;
let db: Database.Database;
beforeAll(async () => {
  stack = await startStack({ durable: true });
  db = new Database(join(stack.dataDir!, 'gateway.db'), { readonly: true });
});
afterAll(async () => {
  db?.close();
  await stack?.close();
});

interface Seen {
  requestId: string;
  status: number;
  arm: string;
  config: string;
  inputTokens: number;
  outputTokens: number;
}

async function converse(session: string, intent: string): Promise<Seen> {
  const res = await fetch(`${stack.url}/model/mangaassist/converse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-session-id': session, 'x-intent': intent },
    body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: `question from ${session}` }] }] }),
  });
  const body = (await res.json()) as { usage?: { inputTokens: number; outputTokens: number } };
  return {
    requestId: res.headers.get('x-gateway-request-id')!,
    status: res.status,
    arm: res.headers.get('x-gateway-arm')!,
    config: res.headers.get('x-gateway-config')!,
    inputTokens: body.usage?.inputTokens ?? 0,
    outputTokens: body.usage?.outputTokens ?? 0,
  };
}

async function waitForRows(n: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((db.prepare('SELECT count(*) AS n FROM observations').get() as { n: number }).n < n) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} rows after 5 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('SQLite observations', () => {
  it('match what the client saw, for every request', async () => {
    const intents = ['recommendation', 'faq', 'chitchat', 'order_tracking'];
    stack.sim.control.setFault('anthropic.claude-3-5-haiku-20241022-v1:0', { kind: 'throttle', count: 3 });
    const seen = await Promise.all(Array.from({ length: 60 }, (_, i) => converse(`sess-${i % 20}`, intents[i % 4]!)));
    await waitForRows(60);
    const rows = new Map(readObservations(db).map((r) => [r.requestId, r]));
    expect(seen.filter((s) => s.status === 429).length).toBe(3);
    for (const s of seen) {
      const row = rows.get(s.requestId);
      expect(row, s.requestId).toBeDefined();
      expect(row).toMatchObject({
        status: s.status,
        arm: s.arm,
        configId: s.config,
        inputTokens: s.inputTokens,
        outputTokens: s.outputTokens,
      });
      const price = stack.config.pricing[row!.upstreamModel]!;
      expect(row!.costUsd).toBeCloseTo((s.inputTokens * price.inputPer1k + s.outputTokens * price.outputPer1k) / 1000, 9);
      if (s.status === 429) expect(row!.errorCode).toBe('ThrottlingException');
    }
  });

  it('survive a store failure mid-run: requests succeed, rows spill, and after recovery each is stored exactly once', async () => {
    const before = (db.prepare('SELECT count(*) AS n FROM observations').get() as { n: number }).n;
    const blocker = new Database(join(stack.dataDir!, 'gateway.db'));
    blocker.exec('BEGIN EXCLUSIVE');
    const during = await Promise.all(Array.from({ length: 40 }, (_, i) => converse(`down-${i}`, 'faq')));
    expect(during.every((s) => s.status === 200)).toBe(true);
    const spill = join(stack.dataDir!, 'observations.spill.jsonl');
    const deadline = Date.now() + 3_000;
    while (!existsSync(spill) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(spill)).toBe(true);
    const ready = await fetch(`${stack.url}/readyz`);
    expect(ready.status).toBe(200);

    blocker.exec('ROLLBACK');
    blocker.close();
    const after = await Promise.all(Array.from({ length: 10 }, (_, i) => converse(`up-${i}`, 'faq')));
    await waitForRows(before + 50);
    const rows = readObservations(db);
    expect(rows.length).toBe(before + 50);
    const ids = new Set(rows.map((r) => r.requestId));
    expect(ids.size).toBe(rows.length);
    for (const s of [...during, ...after]) expect(ids.has(s.requestId)).toBe(true);
    expect(existsSync(spill)).toBe(false);
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    const counter = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1]);
    expect(counter('gateway_observations_spilled_total')).toBeGreaterThan(0);
    expect(counter('gateway_observations_replayed_total')).toBe(counter('gateway_observations_spilled_total'));
    expect(counter('gateway_observations_dropped_total')).toBe(0);
  });
});

/** An asynchronous copy store (like the DynamoDB log) that rejects every write and probe while `down`. */
class FlakyCopy implements RecordStore {
  down = true;
  readonly stored: Observation[] = [];
  async write(batch: RecordBatch): Promise<void> {
    if (this.down) throw new Error('copy unreachable');
    this.stored.push(...batch.observations);
  }
  async probe(): Promise<void> {
    if (this.down) throw new Error('copy unreachable');
  }
}

describe('SQLite observations beside a failing copy', () => {
  it('reach SQLite at once while the copy spills to its own file, and reach the copy once it recovers', async () => {
    const copy = new FlakyCopy();
    const copied = await startStack({ durable: true, observationCopy: copy });
    const local = new Database(join(copied.dataDir!, 'gateway.db'), { readonly: true });
    try {
      const count = () => (local.prepare('SELECT count(*) AS n FROM observations').get() as { n: number }).n;
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await fetch(`${copied.url}/model/mangaassist/converse`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-session-id': `copy-${i}`, 'x-intent': 'faq' },
          body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hello' }] }] }),
        });
        await res.arrayBuffer();
        ids.push(res.headers.get('x-gateway-request-id')!);
        // Within the copy's back-off (1 s): each record must reach SQLite without waiting for the copy.
        const deadline = Date.now() + 500;
        while (count() < i + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        expect(count(), `row ${i + 1}`).toBe(i + 1);
      }
      await copied.gateway.sink.flush();
      expect(existsSync(join(copied.dataDir!, 'observations.spill.jsonl'))).toBe(false);
      const copySpill = join(copied.dataDir!, 'observations.copy.spill.jsonl');
      const spilled = readFileSync(copySpill, 'utf8')
        .trim()
        .split('\n')
        .flatMap((line) => (JSON.parse(line) as RecordBatch).observations.map((o) => o.requestId));
      expect(spilled.sort()).toEqual([...ids].sort());
      expect((await fetch(`${copied.url}/readyz`)).status).toBe(200);

      copy.down = false;
      const deadline = Date.now() + 5_000;
      while (existsSync(copySpill) && Date.now() < deadline) {
        await copied.gateway.sink.flush();
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(existsSync(copySpill)).toBe(false);
      expect(copy.stored.map((o) => o.requestId).sort()).toEqual([...ids].sort());
      const metrics = await (await fetch(`${copied.url}/metrics`)).text();
      const counter = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1]);
      expect(counter('gateway_observations_spilled_total')).toBe(0);
      expect(counter('gateway_observation_copy_spilled_total')).toBe(10);
      expect(counter('gateway_observation_copy_replayed_total')).toBe(10);
      expect(counter('gateway_observation_copy_dropped_total')).toBe(0);
    } finally {
      local.close();
      await copied.close();
    }
  });
});
