import { fileURLToPath } from 'node:url';
import { loadGatewayConfig } from '../gateway/config/load.ts';
import type { GatewayConfig, ModelConfig } from '../schema/config.ts';
import { chatBodies, type ChatBodies } from './chat-workload.ts';

/** The shipped configuration the gateway runs with. */
export const CONFIG_PATH = fileURLToPath(new URL('../config/mangaassist.json', import.meta.url));
export const ROUTE = 'mangaassist';
/** An intent with no experiment or canary, so every session gets the same configuration and upstream model. */
export const INTENT = 'faq';

const QUESTIONS = [
  'Do you ship manga box sets to Canada?',
  'How long does standard delivery take for a single volume?',
  'Are the Viz Signature editions larger than the regular ones?',
  'Can I preorder the next volume of One Piece?',
  'Is there a gift wrap option for manga orders?',
  'Do digital manga purchases work on every Kindle device?',
  'What does the "Teen Plus" age rating mean?',
  'Can I return a manga volume that arrived with a bent cover?',
];

/** The configuration the gateway picks for the benchmark's requests, and the bodies it would send upstream. */
export interface Workload {
  config: ModelConfig;
  /** Bodies the load generator sends to the gateway. */
  clientBodies: Buffer[];
  /** The same bodies after the gateway applies the configuration: what reaches the simulator. */
  upstreamBodies: Buffer[];
  /** The same questions as Chat Completions bodies, per chat mode. */
  chat: Record<'chat' | 'chat-stream', ChatBodies>;
}

/** Builds the workload from the shipped configuration; fails if routing would not be deterministic. */
export function loadWorkload(path: string = CONFIG_PATH): Workload {
  const gatewayConfig = loadGatewayConfig(path);
  const config = chosenConfig(gatewayConfig);
  const clientBodies = QUESTIONS.map((text) => ({ messages: [{ role: 'user', content: [{ text }] }] }));
  return {
    config,
    clientBodies: clientBodies.map((b) => Buffer.from(JSON.stringify(b))),
    upstreamBodies: clientBodies.map((b) => Buffer.from(JSON.stringify(configured(b, config, gatewayConfig)))),
    chat: { chat: chatBodies(QUESTIONS, gatewayConfig, INTENT, false), 'chat-stream': chatBodies(QUESTIONS, gatewayConfig, INTENT, true) },
  };
}

/** Request path of a Bedrock operation for a model id or route name. */
export function modelPath(modelId: string, mode: 'converse' | 'converse-stream'): string {
  return `/model/${encodeURIComponent(modelId)}/${mode}`;
}

function chosenConfig(cfg: GatewayConfig): ModelConfig {
  const route = cfg.routes.find((r) => r.name === ROUTE);
  if (!route) throw new Error(`the configuration has no route "${ROUTE}"`);
  const scoped = [...cfg.experiments, ...cfg.canaries].filter(
    (x) => x.status === 'running' && x.route === ROUTE && (x.intent ?? INTENT) === INTENT,
  );
  if (scoped.length)
    throw new Error(`intent "${INTENT}" has a running experiment or canary (${scoped.map((x) => x.id).join(', ')}): pick another intent`);
  const id = route.table[INTENT] ?? route.default;
  const config = cfg.configs.find((c) => c.id === id);
  if (!config) throw new Error(`configuration "${id}" is not defined`);
  return config;
}

function configured(body: { messages: unknown[] }, config: ModelConfig, cfg: GatewayConfig): Record<string, unknown> {
  const inferenceConfig: Record<string, number> = { maxTokens: config.maxTokens };
  if (config.temperature !== undefined) inferenceConfig.temperature = config.temperature;
  if (config.topP !== undefined) inferenceConfig.topP = config.topP;
  const prompt = config.systemPromptVersion ? cfg.systemPrompts[config.systemPromptVersion] : undefined;
  return { ...body, inferenceConfig, ...(prompt ? { system: [{ text: prompt }] } : {}) };
}
