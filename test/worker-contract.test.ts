import { afterAll, beforeAll } from 'vitest';
import { dataPlaneContract } from '../gateway/contract/data-plane.suite.ts';
import { CONFIG, IDLE_MS, type AppUnderTest } from '../gateway/contract/harness.ts';
import { ScriptedUpstream } from '../gateway/contract/scripted-upstream.ts';
import type { GatewayDeps } from '../gateway/deps.ts';
import type { MemoryObservationSink } from '../stores/observations/memory.ts';
import type { ObservationSink } from '../stores/observations/interface.ts';
import { startWorkerd, type RunningWorkerd } from '../gateway/edge/local.ts';
import { startContractBridge, type BridgeTarget } from './support/contract-bridge.ts';

// The same contract suite as gateway/contract/node.test.ts with the app running under workerd: the suite's scripted
// upstream and sink stay in this process, reached by the Worker through an HTTP bridge. A Worker has no shutdown, and
// local workerd does not hear of a client that leaves while nothing is written to it, so those cases are not defined
// for it (docs/edge.md).
let worker: RunningWorkerd;
let bridge: Awaited<ReturnType<typeof startContractBridge>>;
let target: BridgeTarget | null = null;
const sinks = new Map<string, ObservationSink>();
let generation = 0;
let nextUpstream: ScriptedUpstream | null = null;

beforeAll(async () => {
  bridge = await startContractBridge(() => {
    if (!target) throw new Error('no test is running');
    return target;
  });
  const t0 = performance.now();
  worker = await startWorkerd({
    port: 0,
    entrypoint: 'test/support/contract-worker.ts',
    // Over sockets a chunk takes longer than in-process; the idle deadline stays short enough for the stall cases.
    vars: { BRIDGE_URL: bridge.url, CONTRACT_CONFIG: JSON.stringify(CONFIG), IDLE_MS: String(IDLE_MS * 20) },
  });
  console.log(`contract Worker under workerd ready in ${Math.round(performance.now() - t0)} ms`);
}, 180_000);
afterAll(async () => {
  await worker?.close();
  await bridge?.close();
});

/** Resolves once the sink holds the observation of `requestId` (it comes from the Worker over HTTP). */
async function recorded(sink: MemoryObservationSink, requestId: string | null): Promise<void> {
  for (let i = 0; i < 500 && requestId && !sink.observations.some((o) => o.requestId === requestId); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The answer as the test reads it: the end of its body, or a cancel, is reported once the request's observation has
 * arrived, as it has in-process by then (on Node the sink is written before the last chunk is handed over).
 */
function settledBody(res: Response, sink: MemoryObservationSink): Response {
  if (!res.body) return res;
  const reader = res.body.getReader();
  const requestId = res.headers.get('x-gateway-request-id');
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read().catch(async (err: unknown) => {
        await recorded(sink, requestId);
        throw err;
      });
      if (!done) return controller.enqueue(value);
      await recorded(sink, requestId);
      controller.close();
    },
    async cancel(reason) {
      await reader.cancel(reason);
      await recorded(sink, requestId);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** The app under test: requests go to the Worker, whose app is fresh for each test (as `createApp` is on Node). */
function workerApp(deps: GatewayDeps): AppUnderTest {
  const tag = String(++generation);
  sinks.set(tag, deps.sink);
  target = { upstream: nextUpstream!, sinks };
  let reset: Promise<unknown> | null = null;
  return {
    async request(path, init) {
      reset ??= fetch(`${worker.url}/__reset?generation=${tag}`).then((r) => r.text());
      await reset;
      return settledBody(await fetch(`${worker.url}${path}`, init), deps.sink as MemoryObservationSink);
    },
  };
}

dataPlaneContract('Worker, under workerd', {
  createApp: workerApp,
  upstream: () => (nextUpstream = new ScriptedUpstream()),
  runtime: { shutdown: false, clientLeaveNotice: false },
});
