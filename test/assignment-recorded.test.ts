import { afterEach, describe, expect, it } from 'vitest';
import type { Observation } from '../schema/observation.ts';
import type { MemoryObservationSink } from '../stores/observations/memory.ts';
import { adminCall, converse, startControlledStack } from './support/admin-stack.ts';
import { startStack } from './support/gateway.ts';

let stack: { close(): Promise<void> } | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const EXPERIMENT = 'sonnet-v2-upgrade';

async function calls(url: string, intent: string, prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) expect((await converse(url, intent, `${prefix}-${i}`)).status).toBe(200);
}

describe('assignment recorded at routing time', () => {
  it('records the configuration version and the arm share, and follows a split change made through the admin API', async () => {
    const controlled = await startControlledStack();
    stack = controlled;
    const { url, control } = controlled;
    const sink = controlled.gateway.sink as MemoryObservationSink;
    const seeded = control.source.stats().version;
    expect(seeded).toBeGreaterThan(0);
    await calls(url, 'recommendation', 'before', 40);
    await calls(url, 'faq', 'plain', 3);
    const patched = await adminCall(url, 'PATCH', `/experiments/${EXPERIMENT}`, { split: 0.5 });
    expect(patched.status).toBe(200);
    await control.source.poll();
    const changed = control.source.stats().version;
    expect(changed).toBeGreaterThan(seeded);
    await calls(url, 'recommendation', 'after', 40);
    await sink.flush();

    const rows = sink.observations;
    const shares = (list: Observation[]) => new Set(list.map((o) => `${o.arm}:${o.expectedShare}@${o.configVersion}`));
    const experiment = (prefix: string) => rows.filter((o) => o.experimentId === EXPERIMENT && o.sessionId?.startsWith(prefix));
    expect(experiment('before')).toHaveLength(40);
    expect([...shares(experiment('before'))].sort()).toEqual([`control:0.9@${seeded}`, `treatment:0.1@${seeded}`]);
    expect([...shares(experiment('after'))].sort()).toEqual([`control:0.5@${changed}`, `treatment:0.5@${changed}`]);
    const plain = rows.filter((o) => o.sessionId?.startsWith('plain'));
    expect(plain.map((o) => [o.arm, o.expectedShare, o.configVersion])).toEqual(Array(3).fill(['default', null, seeded]));
  });

  it("records no version for a gateway serving the configuration file, and the file's split as the share", async () => {
    const fileStack = await startStack();
    stack = fileStack;
    await calls(fileStack.url, 'recommendation', 'file', 30);
    await fileStack.sink.flush();
    const rows = fileStack.sink.observations.filter((o) => o.experimentId === EXPERIMENT);
    expect(rows).toHaveLength(30);
    expect(new Set(rows.map((o) => `${o.arm}:${o.expectedShare}@${o.configVersion}`))).toEqual(
      new Set(['control:0.9@null', 'treatment:0.1@null']),
    );
  });
});
