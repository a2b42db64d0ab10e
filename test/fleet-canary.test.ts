import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateGates } from '../admin/canary/gates.ts';
import type { CanaryGates } from '../admin/canary/schema.ts';
import { figuresOfRows, type WindowRow } from '../admin/canary/window-source.ts';
import { ADMIN_TOKEN } from './support/admin-fixtures.ts';
import { adminCall, waitFor } from './support/admin-stack.ts';
import { spawnGateway, stopProcess, tempDir, type SpawnedGateway } from './support/gateway.ts';
import { deleteStoreKeys } from './support/redis-client.ts';
import { SHARED_REDIS_PORT, sharedRedisMissing } from './support/redis-server.ts';
import { dynamoFleetLog, postgresFleetLog, type FleetLog, type FleetLogRow } from './support/fleet-log.ts';
import { startUpstashShim, type UpstashShim } from './support/upstash-shim.ts';
import { CANDIDATE_MODEL } from './canary-stack.ts';

// Three gateway processes (`npm start`'s entry point, each its own DATA_DIR) share one config store (Redis through
// the Upstash adapter) and one observation log (PostgreSQL, then DynamoDB on dynalite); every one runs the canary controller and the lease
// picks one. They all call one simulator (a process of its own) that starts the candidate cold (Scenario D), so the
// candidate's first calls are slow whichever replica sends them. Gates as in canary-scenario-d.test.ts: the SLA
// gate out of the way (a busy machine would trip it), a wide error margin (a few dozen requests cannot show the
// default one), and the relative P95 gate is what sees the cold start. Time scale 0.5 (not 0.25): three gateway
// processes, the simulator and the load share the machine, and their queueing adds the same tens to hundreds of ms
// to both arms, which a longer simulated latency outweighs.
const redisMissing = await sharedRedisMissing();
const LOGS = await Promise.all(
  [postgresFleetLog(), dynamoFleetLog()].map(async (log) => ({ log, name: log.name, missing: redisMissing ?? (await log.missing()) })),
);
const anyRuns = LOGS.some((l) => l.missing === null);
const TIME_SCALE = 0.5;
const INTENT = 'chitchat';
const ID = 'fleet-sonnet-v2';
const CANARY = { id: ID, route: 'mangaassist', intent: INTENT, baseline: 'sonnet-35-v1', candidate: 'sonnet-35-v2', weight: 0 };
const MIN = 24;
const WINDOW_MS = 20_000;
// Long enough for a load, a SIGKILL, a restart on a busy machine and the spill's replay.
const KILL_WINDOW_MS = 30_000;
const CONCURRENCY = 24;
// One stage at 50% before 100%: both arms fill at the same pace, so a window of a few seconds of load holds the
// minimum sample of each. The P95 gate compares the candidate's lower bound with the baseline's upper bound, which
// for a baseline of a few dozen requests is its slowest one; the relative limit is +20% (default +50%) so that a
// single slow baseline call on a busy machine does not hide the cold start (measured on this machine under load:
// +75% to +250% on P95, the candidate's lower bound 1.3-2.3x the baseline's upper bound). The windows are 20 s so a
// whole load falls in one of them.
const PLAN = {
  stages: [50, 100],
  windowMs: WINDOW_MS,
  minSamplesPerArm: MIN,
  warmup: { requests: 0 },
  gates: { slaP95Ms: 60_000, errorRateMaxDelta: 0.5, p95RelativeMax: 0.2 },
};
const REPLICAS = ['fleet-a', 'fleet-b', 'fleet-c'];
const START = { startTimeoutMs: 60_000 };
const SIM_KEY = 'fleet-canary-simulator-key';

let sim: { url: string; child: ChildProcess } | null = null;

// The simulator runs in a process of its own: in this one it would share an event loop with the load's requests,
// and the queueing would add to both arms' latencies alike, shrinking the cold start's ratio.
const SIMULATOR = `
import { startSimulator } from './simulator/server.ts';
import { SCENARIO_D_COLD_START } from './simulator/app.ts';
const sim = await startSimulator({ seed: 11, timeScale: ${TIME_SCALE}, randomFaults: false, apiKey: '${SIM_KEY}',
  coldStart: { '${CANDIDATE_MODEL}': SCENARIO_D_COLD_START } });
console.log('simulator listening on ' + sim.url);
process.on('SIGTERM', () => void sim.close().then(() => process.exit(0)));
`;

/** Starts the Scenario D simulator (the candidate's first 300 calls 3.5x slower) and waits for its URL. */
async function spawnSimulator(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SIMULATOR], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /simulator listening on (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code}: ${out}`)));
  });
  return { url, child };
}
let shim: UpstashShim | null = null;
// Config-store key prefixes of every log's fleet, removed at the end.
const keyPrefixes: string[] = [];

beforeAll(async () => {
  if (!anyRuns) return;
  sim = await spawnSimulator();
  shim = await startUpstashShim(SHARED_REDIS_PORT);
});

afterAll(async () => {
  await shim?.close();
  if (sim) await stopProcess(sim.child);
  if (keyPrefixes.length > 0) await deleteStoreKeys(SHARED_REDIS_PORT, keyPrefixes);
});

/**
 * One replica: its own DATA_DIR, the shared config store (under `keyPrefix`) and `log` (through the replica's own
 * proxy, so one replica's log can go down alone), the shared simulator as its Bedrock, controller on.
 */
function replicaEnv(log: FleetLog, keyPrefix: string, k: number): Record<string, string> {
  return {
    DATA_DIR: tempDir(`fleet-canary-${REPLICAS[k]}-`),
    CONFIG_STORE: 'upstash',
    UPSTASH_REDIS_REST_URL: shim!.url,
    UPSTASH_REDIS_REST_TOKEN: shim!.token,
    CONFIG_STORE_PREFIX: keyPrefix,
    CONFIG_POLL_MS: '100',
    ...log.env(k),
    REPLICA_ID: REPLICAS[k]!,
    CANARY_CONTROLLER: 'on',
    ADMIN_TOKEN,
    UPSTREAM: 'bedrock',
    BEDROCK_ENDPOINT: sim!.url,
    AWS_BEARER_TOKEN_BEDROCK: SIM_KEY,
  };
}

interface Sent {
  id: string;
  replica: string;
  arm: string;
  ok: boolean;
  model: string | null;
  session: string;
}

/** One Converse call on the `mangaassist` route to replica `k`. */
async function call(url: string, k: number, intent: string, session: string): Promise<Sent> {
  const res = await fetch(`${url}/model/mangaassist/converse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-intent': intent, 'x-session-id': session },
    body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Recommend a manga like Monster' }] }] }),
  });
  await res.arrayBuffer();
  const id = res.headers.get('x-gateway-request-id')!;
  return {
    id,
    replica: REPLICAS[k]!,
    arm: res.headers.get('x-gateway-arm') ?? '',
    ok: res.ok,
    model: res.headers.get('x-gateway-config'),
    session,
  };
}

/**
 * Requests round-robin over the replicas (sessions of 4 span replicas) until each arm answered `target` times, or
 * `count` requests when given.
 */
async function roundRobinLoad(urls: string[], o: { intent: string; prefix: string; target?: number; count?: number }): Promise<Sent[]> {
  const sent: Sent[] = [];
  const arms = { canary: 0, baseline: 0 };
  const target = o.target ?? 0;
  const more = (n: number): boolean =>
    o.count === undefined ? (arms.canary < target || arms.baseline < target) && n < 1_000 : n < o.count;
  let n = 0;
  const worker = async (): Promise<void> => {
    while (more(n)) {
      const i = n++;
      const s = await call(urls[i % urls.length]!, i % urls.length, o.intent, `${o.prefix}-${Math.floor(i / 4)}`);
      if (s.arm === 'canary' || s.arm === 'baseline') arms[s.arm]++;
      sent.push(s);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return sent;
}

type LogRow = FleetLogRow;

interface Decision {
  action: string;
  weight: number;
  at: number;
  reason: string;
  figures: {
    candidate: { requests: number; p95LatencyMs: number };
    baseline: { requests: number; p95LatencyMs: number };
  } | null;
}

describe.each(LOGS)('a canary decided on a fleet: three gateways, one config store, one $name log', ({ log, missing }) => {
  const keyPrefix = `test:fleet-canary:${randomUUID()}:`;
  const envs: Record<string, string>[] = [];
  const running: SpawnedGateway[] = [];
  let holderIndex = -1;
  const windowRows = (canaryId: string, from: number, to: number): Promise<LogRow[]> => log.windowRows(canaryId, from, to);

  beforeAll(async () => {
    if (missing !== null) return;
    keyPrefixes.push(keyPrefix);
    await log.start(REPLICAS.length);
    for (const k of REPLICAS.keys()) envs[k] = replicaEnv(log, keyPrefix, k);
  });

  afterAll(async () => {
    await Promise.all(running.map((g) => stopProcess(g.child)));
    await log.close();
  });

  it.skipIf(missing !== null)(
    'counts every replica in the window and rolls back a cold start no single replica could see',
    { timeout: 90_000 },
    async () => {
      // The first seeds the empty config store; the others find it seeded.
      running.push(await spawnGateway(envs[0]!, START));
      running.push(...(await Promise.all(envs.slice(1).map((env) => spawnGateway(env, START)))));
      const urls = running.map((g) => g.url);
      for (const g of running) {
        expect(g.output()).toMatch(/canary controller: on \(replica fleet-[abc]; .*windows from /);
        expect(g.output()).toMatch(log.banner);
      }

      expect((await adminCall(urls[1]!, 'POST', '/canaries', CANARY)).status).toBe(201);
      expect((await adminCall(urls[2]!, 'POST', `/canaries/${ID}/start`, PLAN)).status).toBe(200);
      const decisions = async (): Promise<Decision[]> => (await adminCall(urls[0]!, 'GET', `/canaries/${ID}/controller`)).json.decisions;
      await waitFor(async () => (await decisions()).some((d) => d.action === 'warmup'), 10_000, 'the warm-up decision');
      // Exactly one replica acts: the one that took the lease.
      const holders = running.filter((g, k) => g.output().includes(`canary controller ${REPLICAS[k]}: took the lease`));
      expect(holders).toHaveLength(1);
      holderIndex = running.indexOf(holders[0]!);

      // No quality scores are sent: the latency gate needs none, and without them a window in which the machine's
      // noise hides the cold start holds (too few quality scores) instead of promoting, so the next window, with the
      // candidate still cold, decides.
      let judged: { decision: Decision; from: number; sent: Sent[] } | null = null;
      for (let attempt = 0; attempt < 3 && (!judged || judged.decision.action === 'hold'); attempt++) {
        // Start right after a window opened (the warm-up, or the last hold), so the whole load falls in one window.
        const before = await decisions();
        const opened = before.at(-1)!;
        if (attempt === 0) await new Promise((r) => setTimeout(r, 1_000)); // every replica's poll sees the first stage's weight
        const sent = await roundRobinLoad(urls, { intent: INTENT, target: MIN + 6, prefix: `fleet-${attempt}` });
        const loadEnd = Date.now();
        await waitFor(async () => (await decisions()).length > before.length, WINDOW_MS + 5_000, 'the window to close');
        const decision = (await decisions())[before.length]!;
        console.log(
          `fleet window ${attempt}: ${sent.length} requests in ${loadEnd - opened.at} ms after the window opened; ${decision.action}: ${decision.reason}; P95 ${Math.round(decision.figures?.candidate.p95LatencyMs ?? 0)} vs ${Math.round(decision.figures?.baseline.p95LatencyMs ?? 0)} ms`,
        );
        // A window that closed during the load (or before the last rows reached the log) judged part of it: try again.
        if (decision.at > loadEnd + 500) judged = { decision, from: opened.at, sent };
      }
      if (!judged) throw new Error('no window held a whole load: the machine is too slow for 20 s windows');
      const { decision, from, sent } = judged;

      // 1. The controller's window counts are the requests all replicas answered for the canary in that window.
      const rows = await windowRows(ID, from, decision.at);
      const canaryRequests = sent.filter((s) => s.arm === 'canary' || s.arm === 'baseline');
      expect(new Map(rows.map((r) => [r.request_id, r.replica_id]))).toEqual(new Map(canaryRequests.map((s) => [s.id, s.replica])));
      const count = (arm: string) => canaryRequests.filter((s) => s.arm === arm).length;
      expect(decision.figures).not.toBeNull();
      expect([decision.figures!.candidate.requests, decision.figures!.baseline.requests]).toEqual([count('canary'), count('baseline')]);
      const perReplica = REPLICAS.map((r) => canaryRequests.filter((s) => s.replica === r).length);
      expect(perReplica.every((n) => n > 0)).toBe(true);

      // 2. Scenario D is rolled back on the fleet's window.
      expect(decision.action).toBe('rollback');
      expect(decision.reason).toMatch(/P95/);
      expect(decision.figures!.candidate.p95LatencyMs).toBeGreaterThan(1.2 * decision.figures!.baseline.p95LatencyMs);
      const view = (await adminCall(urls[2]!, 'GET', `/canaries/${ID}/controller`)).json;
      expect(view.state).toMatchObject({ status: 'rolled_back', weight: 0 });

      // ...while no single replica's share of that window would have crossed the gate. The gate judges a window only
      // once each arm has `minSamplesPerArm` live requests (below that it holds, whatever the latencies); a third of the
      // fleet's window has fewer than that on at least one arm on every replica, so a controller reading one replica's
      // observations (its own SQLite, as before the shared log) would have held this window. Each replica's rows are
      // judged here by the same gate function the controller uses.
      const gates = view.state.plan.gates as CanaryGates;
      const asWindowRow = (r: LogRow): WindowRow => ({
        arm: r.arm,
        sessionId: r.session_id,
        failed: r.error_code !== null,
        latencyMs: r.latency_ms,
        costUsd: r.cost_usd,
        quality: null,
      });
      const fleet = evaluateGates(figuresOfRows(rows.map(asWindowRow)), decision.weight, gates, MIN, null);
      expect(fleet.kind).toBe('rollback');
      expect(fleet.figures.candidate.requests).toBe(decision.figures!.candidate.requests);
      for (const replica of REPLICAS) {
        const own = figuresOfRows(rows.filter((r) => r.replica_id === replica).map(asWindowRow));
        const verdict = evaluateGates(own, decision.weight, gates, MIN, null);
        console.log(
          `${replica}: candidate ${own.candidate.figures.requests}, baseline ${own.baseline.figures.requests} requests: ${verdict.kind} (${verdict.reason})`,
        );
        expect(Math.min(own.candidate.figures.requests, own.baseline.figures.requests)).toBeLessThan(MIN);
        expect(verdict.kind).toBe('hold');
        expect(verdict.reason).toMatch(/too few live requests/);
      }
      // Every replica applies the rollback: a session the candidate answered is no longer sent to it.
      const session = sent.find((s) => s.arm === 'canary')!.session;
      for (const url of urls) {
        await waitFor(
          async () => {
            const res = await fetch(`${url}/model/mangaassist/converse`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-intent': INTENT, 'x-session-id': session },
              body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'and one more?' }] }] }),
            });
            await res.arrayBuffer();
            // The stopped canary no longer routes: the route's own table answers, never the candidate.
            return res.ok && res.headers.get('x-gateway-arm') === 'default' && res.headers.get('x-gateway-config') !== CANARY.candidate;
          },
          10_000,
          `${url} to apply the rollback`,
        );
      }
    },
  );

  it.skipIf(missing !== null)(
    'a replica killed with SIGKILL mid-window while its log is down loses nothing: its restart replays the spill into the window',
    {
      timeout: 90_000,
    },
    async () => {
      // The fleet of the test above, still running; the replica killed is one not holding the lease, so the
      // controller keeps ticking through the kill.
      expect(running).toHaveLength(3);
      const k = (holderIndex + 1) % 3;
      const urls = running.map((g) => g.url);
      const id = 'fleet-haiku';
      const canary = { id, route: 'mangaassist', intent: 'faq', baseline: 'sonnet-35-v1', candidate: 'haiku-35', weight: 0 };
      expect((await adminCall(urls[holderIndex]!, 'POST', '/canaries', canary)).status).toBe(201);
      const plan = { ...PLAN, windowMs: KILL_WINDOW_MS };
      expect((await adminCall(urls[holderIndex]!, 'POST', `/canaries/${id}/start`, plan)).status).toBe(200);
      const decisions = async (): Promise<Decision[]> =>
        (await adminCall(urls[holderIndex]!, 'GET', `/canaries/${id}/controller`)).json.decisions;
      await waitFor(async () => (await decisions()).some((d) => d.action === 'warmup'), 10_000, 'the warm-up decision');
      const opened = (await decisions()).at(-1)!;
      await new Promise((r) => setTimeout(r, 1_000)); // every replica's poll sees the first stage's weight

      // The killed replica's log goes down: what it answers from now on waits in its spill file under its DATA_DIR.
      await log.proxies[k]!.stop();
      const sent = await roundRobinLoad(urls, { intent: 'faq', count: 36, prefix: 'kill' });
      expect(sent.every((s) => s.ok && (s.arm === 'canary' || s.arm === 'baseline'))).toBe(true);
      const own = sent.filter((s) => s.replica === REPLICAS[k]).map((s) => s.id);
      const spill = join(envs[k]!.DATA_DIR!, 'observations.spill.jsonl');
      const spilled = (): string[] =>
        existsSync(spill)
          ? readFileSync(spill, 'utf8')
              .split('\n')
              .slice(0, -1) // a line still being appended has no newline yet: only whole lines are read
              .filter(Boolean)
              .flatMap((line) => (JSON.parse(line) as { observations: { requestId: string }[] }).observations.map((o) => o.requestId))
          : [];
      await waitFor(async () => spilled().length >= own.length, 15_000, `${REPLICAS[k]} to spill its ${own.length} observations`);
      expect(spilled().sort()).toEqual([...own].sort());
      running[k]!.child.kill('SIGKILL');
      await new Promise((r) => running[k]!.child.once('exit', r));

      // Restarted with the same DATA_DIR and REPLICA_ID once the log is back: the spill replays into the shared log.
      await log.proxies[k]!.start();
      running[k] = await spawnGateway(envs[k]!, START);
      await waitFor(async () => !existsSync(spill), 15_000, 'the spill to replay');
      const replayed = Date.now();

      // The decision that closed the window the warm-up opened.
      const closing = async (): Promise<Decision | undefined> => {
        const all = await decisions();
        return all[all.findIndex((d) => d.at === opened.at && d.action === opened.action) + 1];
      };
      await waitFor(async () => (await closing()) !== undefined, KILL_WINDOW_MS + 10_000, 'the window to close');
      const decision = (await closing())!;
      console.log(
        `killed ${REPLICAS[k]}: window closed ${decision.at - replayed} ms after its spill replayed; ${decision.action}: ${decision.reason}`,
      );
      if (decision.at <= replayed)
        throw new Error(`the window closed before the restarted replica replayed its spill; lengthen KILL_WINDOW_MS`);
      // Every request any replica answered in the window is in it, the killed replica's replayed ones included.
      const rows = await windowRows(id, opened.at, decision.at);
      expect(new Map(rows.map((r) => [r.request_id, r.replica_id]))).toEqual(new Map(sent.map((s) => [s.id, s.replica])));
      expect(rows.filter((r) => r.replica_id === REPLICAS[k]).length).toBe(own.length);
      const count = (arm: string) => sent.filter((s) => s.arm === arm).length;
      expect(decision.figures).not.toBeNull();
      expect([decision.figures!.candidate.requests, decision.figures!.baseline.requests]).toEqual([count('canary'), count('baseline')]);
      expect(own.length).toBeGreaterThan(0);
    },
  );
});
