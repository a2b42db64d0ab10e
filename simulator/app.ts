import { Hono } from 'hono';
import { createAuthenticator, createBearerCheck } from './auth.ts';
import { handleCall } from './call.ts';
import { handleChatCompletion, type ChatEnv } from './chat-completions.ts';
import { createControl, type Operation, type SimulatorControl } from './control.ts';
import { awsError } from './errors.ts';
import { defaultProfiles, withColdStarts, withThrottling, type ColdStart, type ProfileSet, type Throttling } from './profiles.ts';
import { hashString } from './rng.ts';
import { goldenWriter } from './golden-writer.ts';
import { PromptCache } from './prompt-cache.ts';
import type { AnswerWriter } from './writer.ts';

/** Options of a simulator. */
export interface SimulatorOptions {
  /** Same seed and same sequence of calls per model: same answers, latencies, usage and faults. Default 1. */
  seed?: number | string;
  /** Multiplies every simulated delay: 1 is real time, 0.01 for tests, 0 for no delay (and no timers) at all. */
  timeScale?: number;
  /**
   * When set, every streamed answer lasts this many real ms, whatever its length and the time scale: the first
   * token comes at its simulated time (times `timeScale`), the rest are spread to the end (load tests of many open
   * streams). Default: the simulated timing.
   */
  streamDurationMs?: number;
  /** When set, every call must carry a valid SigV4 signature for this key (or the API key below). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** When set, `Authorization: Bearer <apiKey>` is accepted (and required on `/v1/chat/completions`). */
  apiKey?: string;
  /** Writes answer text; default: the golden writer (retrieval prompts answered from their context, anything else as filler prose, one word per token). */
  writer?: AnswerWriter;
  /** Model profiles; default: the bundled profiles.json. */
  profiles?: ProfileSet;
  /**
   * Per-model cold-start overrides. Scenario D (a new candidate whose first few hundred calls are 3-4x slower):
   * `{ 'anthropic.claude-3-5-sonnet-20241022-v2:0': SCENARIO_D_COLD_START }`. The bundled
   * `sagemaker-custom-endpoint` profile starts cold by itself.
   */
  coldStart?: Record<string, ColdStart>;
  /**
   * Per-model throttling: `{ [modelId]: { first: 2 } }` answers the model's first two calls with `ThrottlingException`
   * (429); `{ share: 0.3 }` throttles about 30% of its calls, the same ones for the same seed.
   */
  throttling?: Record<string, Throttling>;
  /** Draw faults from the profiles' error, throttle and timeout rates (default true). */
  randomFaults?: boolean;
  /** Log entries kept before the oldest half is dropped (default 100,000). */
  maxLogEntries?: number;
}

/** A simulator as a Hono app plus its control handle. */
export interface SimulatorApp {
  app: Hono;
  fetch: (request: Request) => Response | Promise<Response>;
  control: SimulatorControl;
  profiles: ProfileSet;
}

/** Cold start of Scenario D: the first 300 calls 3.5 times slower. */
export const SCENARIO_D_COLD_START: ColdStart = { calls: 300, slowdown: 3.5 };

const OPERATIONS = new Set<string>(['converse', 'converse-stream', 'invoke', 'invoke-with-response-stream']);

/** Builds the simulator app: Bedrock Runtime under `/model/`, OpenAI Chat Completions under `/v1/`. */
export function createSimulatorApp(options: SimulatorOptions = {}): SimulatorApp {
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale >= 0) || !Number.isFinite(timeScale)) throw new Error(`timeScale must be a finite number >= 0, got ${timeScale}`);
  const streamDurationMs = options.streamDurationMs ?? null;
  if (streamDurationMs !== null && !(streamDurationMs > 0 && Number.isFinite(streamDurationMs)))
    throw new Error(`streamDurationMs must be a finite number > 0, got ${streamDurationMs}`);
  const base = options.profiles ?? defaultProfiles();
  const cold = options.coldStart ? withColdStarts(base, options.coldStart) : base;
  const profiles = options.throttling ? withThrottling(cold, options.throttling) : cold;
  const promptCache = new PromptCache(timeScale);
  const control = createControl(options.maxLogEntries, () => promptCache.clear());
  const env: ChatEnv = {
    seedHash: hashString(String(options.seed ?? 1)),
    timeScale,
    streamDurationMs,
    writer: options.writer ?? goldenWriter,
    profiles,
    randomFaults: options.randomFaults ?? true,
    control,
    promptCache,
    authenticate: createAuthenticator({ credentials: options.credentials, apiKey: options.apiKey }),
    checkBearer: createBearerCheck(options.apiKey),
  };
  const app = new Hono();
  app.post('/model/:modelId/:operation', (c) => {
    const operation = c.req.param('operation');
    if (!OPERATIONS.has(operation)) return awsError('UnknownOperationException', `Unknown operation: ${operation}`);
    return handleCall(env, operation as Operation, c.req.param('modelId'), c.req.raw);
  });
  app.post('/v1/chat/completions', (c) => handleChatCompletion(env, c.req.raw));
  app.get('/v1/models', (c) =>
    c.json({ object: 'list', data: [...profiles.models.keys()].map((id) => ({ id, object: 'model', created: 0, owned_by: 'simulator' })) }),
  );
  app.get('/health', (c) => c.json({ status: 'ok', models: [...profiles.models.keys()] }));
  app.notFound((c) => awsError('UnknownOperationException', `No route for ${c.req.method} ${c.req.path}`));
  app.onError((error) => awsError('InternalServerException', error.message));
  return { app, fetch: app.fetch, control, profiles };
}
