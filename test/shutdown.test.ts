import { connect } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { killGroup, spawnGateway, startStack, stopProcess, tempDir, type SpawnedGateway } from './support/gateway.ts';
import { countByStatus, send, sendMany, sendOnNewConnection, storedObservations, type Outcome } from './support/load.ts';

const started: { gw: SpawnedGateway; viaNpm: boolean }[] = [];
afterEach(() => {
  // A test that failed half-way leaves nothing running (npm's whole group included).
  for (const { gw, viaNpm } of started.splice(0)) {
    if (viaNpm) killGroup(gw.child);
    else if (gw.child.exitCode === null) gw.child.kill('SIGKILL');
  }
});

async function spawn(env: Record<string, string>, viaNpm = false): Promise<SpawnedGateway & { dataDir: string }> {
  const dataDir = tempDir();
  const gw = await spawnGateway({ DATA_DIR: dataDir, CANARY_CONTROLLER: 'off', ...env }, { viaNpm });
  started.push({ gw, viaNpm });
  return { ...gw, dataDir };
}

function exitOf(gw: SpawnedGateway): Promise<number | null> {
  const { child } = gw;
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * Every routed answer has its observation and nothing else was stored; prints both counts. A call without answer is
 * one whose connection the client opened only as the listener closed, on a loaded machine (a reset, or a refusal).
 */
function expectAnsweredStored(label: string, outcomes: Outcome[], dataDir: string): void {
  const rows = storedObservations(dataDir);
  const answered = outcomes.filter((o) => o.requestId && o.routed);
  const missing = answered.filter((o) => !rows.has(o.requestId!));
  const unanswered = outcomes.filter((o) => o.status === null);
  const statuses = JSON.stringify(countByStatus(outcomes));
  console.log(
    `${label}: ${answered.length} answered (routed), ${rows.size} stored, ${missing.length} without observation, ` +
      `${unanswered.length} without answer; statuses ${statuses}`,
  );
  expect(missing.map((o) => o.requestId)).toEqual([]);
  expect(rows.size).toBe(answered.length);
  for (const o of answered) {
    const row = rows.get(o.requestId!)!;
    if (o.completed && o.status === 200 && row.errorCode === null) continue;
    expect(row.errorCode).toBe('shutdown_abort');
    expect(row.status).toBe(503);
  }
  // A request that reached the gateway only after the signal is refused before routing with a 503.
  for (const o of outcomes.filter((x) => x.requestId && !x.routed)) expect(o.status).toBe(503);
}

describe('SIGTERM during load', () => {
  it('leaves an observation for every accepted request: finished, or cut as shutdown_abort', async () => {
    const gw = await spawn({ SIM_TIME_SCALE: '0.5', SHUTDOWN_GRACE_MS: '300', SHUTDOWN_DELAY_MS: '500' });
    const load = sendMany(gw.url, 40);
    await load.headersSeen(10);
    const exited = stopProcess(gw.child);
    await gw.waitFor(/SIGTERM: draining/);
    const late = await send(gw.url, 999);
    const outcomes = await load.outcomes;
    expect(await exited).toBe(0);
    expectAnsweredStored('one SIGTERM', outcomes, gw.dataDir);
    const rows = [...storedObservations(gw.dataDir).values()];
    expect(rows.filter((r) => r.errorCode === 'shutdown_abort').length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.errorCode === null).length).toBeGreaterThan(0);
    // A request after SIGTERM is refused: a 503 without routing during the deregistration delay, no connection after.
    expect(late.routed).toBe(false);
    expect(late.status === null || late.status === 503).toBe(true);
  }, 30_000);

  it('goes on draining through a second SIGTERM and still stores every answered request', async () => {
    const gw = await spawn({ SIM_TIME_SCALE: '0.5', SHUTDOWN_GRACE_MS: '1500', SHUTDOWN_DELAY_MS: '200' });
    const load = sendMany(gw.url, 40);
    await load.headersSeen(10);
    const exited = exitOf(gw);
    gw.child.kill('SIGTERM');
    await gw.waitFor(/SIGTERM: draining/);
    gw.child.kill('SIGTERM');
    const outcomes = await load.outcomes;
    const code = await exited;
    expectAnsweredStored('two SIGTERMs', outcomes, gw.dataDir);
    expect(gw.output()).toMatch(/SIGTERM again: the drain goes on/);
    expect(code).toBe(0);
  }, 30_000);
});

describe('SIGTERM to `npm start`', () => {
  it('reaches the gateway, which drains, flushes and exits with npm', async () => {
    const gw = await spawn({ SIM_TIME_SCALE: '0.5', SHUTDOWN_GRACE_MS: '1500', SHUTDOWN_DELAY_MS: '200' }, true);
    const load = sendMany(gw.url, 30);
    await load.headersSeen(10);
    const exited = exitOf(gw);
    // npm's own pid, as an orchestrator whose container runs `npm start` as PID 1 would signal it.
    gw.child.kill('SIGTERM');
    await gw.waitFor(/SIGTERM: draining/, 5_000);
    const outcomes = await load.outcomes;
    expect(await exited).toBe(0);
    await gw.waitFor(/^\S+ INFO +stopped/m); // the last line, in the default text log format
    expectAnsweredStored('npm start, one SIGTERM', outcomes, gw.dataDir);
    // Nothing is left serving the port once npm is gone.
    expect((await send(gw.url, 1_000)).error).toBe('ECONNREFUSED');
  }, 30_000);
});

describe('connections waiting in the accept queue at SIGTERM', () => {
  it('all get an answer (200 or 503, connection: close), none a reset', async () => {
    const gw = await spawn({ SIM_TIME_SCALE: '0', SHUTDOWN_GRACE_MS: '2000', SHUTDOWN_DELAY_MS: '1000' });
    const pid = gw.child.pid!;
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
    // While the process is stopped the kernel queues the connections and buffers the requests.
    process.kill(pid, 'SIGSTOP');
    const calls = Array.from({ length: 200 }, (_, i) => sendOnNewConnection(gw.url, i));
    await Promise.all(calls.map((c) => c.written));
    const exited = exitOf(gw);
    process.kill(pid, 'SIGTERM');
    process.kill(pid, 'SIGCONT');
    const outcomes = await Promise.all(calls.map((c) => c.outcome));
    const code = await exited;
    console.log(`queued at SIGTERM: ${outcomes.length} connections; ${JSON.stringify(countByStatus(outcomes))}; exit code ${code}`);
    expect(code).toBe(0);
    expect(outcomes.filter((o) => o.status !== 200 && o.status !== 503)).toEqual([]);
    for (const o of outcomes.filter((x) => x.status === 503)) expect(o.connection).toBe('close');
    expectAnsweredStored('queued at SIGTERM', outcomes, gw.dataDir);
  }, 30_000);
});

describe('readiness during the drain', () => {
  it('/readyz answers 503 right after SIGTERM, while the listener still accepts', async () => {
    const gw = await spawn({ SIM_TIME_SCALE: '0', SHUTDOWN_DELAY_MS: '2000' });
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
    const exited = exitOf(gw);
    gw.child.kill('SIGTERM');
    await gw.waitFor(/SIGTERM: draining/);
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'shutting down' });
    expect(ready.headers.get('connection')).toBe('close');
    const refused = await send(gw.url, 1);
    expect(refused.status).toBe(503);
    expect(refused.routed).toBe(false);
    expect(await exited).toBe(0);
  }, 30_000);
});

describe('answers during the drain (in process)', () => {
  it('end their connection: connection: close on HTTP/1.1, a GOAWAY on HTTP/2', async () => {
    const stack = await startStack({ shutdownDelayMs: 1_000 });
    const session = connect(stack.url);
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    const h2Get = (path: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const stream = session.request({ ':path': path });
        stream.on('response', (h) => resolve(Number(h[':status'])));
        stream.on('error', reject);
        stream.resume();
      });
    try {
      expect(await h2Get('/readyz')).toBe(200);
      const before = await fetch(`${stack.url}/readyz`);
      expect(before.headers.get('connection')).toBe('keep-alive');
      const stopped = stack.close();
      const h1 = await fetch(`${stack.url}/v1/models`);
      expect(h1.status).toBe(503);
      expect(h1.headers.get('connection')).toBe('close');
      expect((await h1.json()).error.code).toBe('shutting_down');
      expect(await h2Get('/v1/models')).toBe(503);
      await goaway;
      await stopped;
    } finally {
      session.destroy();
    }
  });
});
