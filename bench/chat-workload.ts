import type { GatewayConfig } from '../schema/config.ts';

/** The route the chat modes call on the gateway: every intent on one OpenAI-compatible configuration. */
export const CHAT_ROUTE = 'mangaassist-openai';
/** The configuration behind `CHAT_ROUTE`: the fine-tuned custom model behind an OpenAI-compatible server. */
export const CHAT_CONFIG_ID = 'custom-ft-openai';
/** The simulator profile the chat configuration names as its model. */
export const CHAT_MODEL = 'sagemaker-custom-endpoint';

/** The environment variable holding the simulator's bearer key, named by the chat configuration's `apiKeyEnv`. */
export const CHAT_KEY_ENV = 'BENCH_SIM_API_KEY';

const SETTINGS = { maxTokens: 512, temperature: 0.1, topP: 0.9, systemPromptVersion: 'v1.0' } as const;

/** A raw configuration (as in config/mangaassist.json) plus the chat configuration and route, upstream at `simUrl`. */
export function withChatRoute(raw: Record<string, unknown>, simUrl: string): Record<string, unknown> {
  const configs = Array.isArray(raw.configs) ? raw.configs : [];
  const routes = Array.isArray(raw.routes) ? raw.routes : [];
  const intents = (routes.find((r: { name?: string }) => r.name === 'mangaassist') as { intents?: string[] } | undefined)?.intents ?? [
    'faq',
  ];
  return {
    ...raw,
    configs: [
      ...configs,
      {
        id: CHAT_CONFIG_ID,
        upstream: { provider: 'openai', baseUrl: `${simUrl.replace(/\/$/, '')}/v1`, model: CHAT_MODEL, apiKeyEnv: CHAT_KEY_ENV },
        ...SETTINGS,
      },
    ],
    routes: [
      ...routes,
      { name: CHAT_ROUTE, intents, default: CHAT_CONFIG_ID, table: Object.fromEntries(intents.map((i) => [i, CHAT_CONFIG_ID])) },
    ],
  };
}

/** Chat Completions bodies of one mode: what a client sends the gateway, and what reaches the simulator. */
export interface ChatBodies {
  client: Buffer[];
  upstream: Buffer[];
}

/**
 * Builds the chat bodies for `questions`: the client names the route; upstream bodies carry what the gateway
 * applies (system prompt, max tokens, temperature, top p) and name the simulator's model. Both carry the
 * intent in `metadata`, which Portkey passes through unchanged.
 */
export function chatBodies(questions: readonly string[], cfg: GatewayConfig, intent: string, stream: boolean): ChatBodies {
  const streaming = stream ? { stream: true, stream_options: { include_usage: true } } : {};
  const prompt = cfg.systemPrompts[SETTINGS.systemPromptVersion];
  const client = questions.map((text) => ({
    model: CHAT_ROUTE,
    messages: [{ role: 'user', content: text }],
    metadata: { intent },
    ...streaming,
  }));
  const upstream = questions.map((text) => ({
    model: CHAT_MODEL,
    messages: [...(prompt ? [{ role: 'system', content: prompt }] : []), { role: 'user', content: text }],
    max_tokens: SETTINGS.maxTokens,
    temperature: SETTINGS.temperature,
    top_p: SETTINGS.topP,
    metadata: { intent },
    ...streaming,
  }));
  const encode = (b: unknown): Buffer => Buffer.from(JSON.stringify(b));
  return { client: client.map(encode), upstream: upstream.map(encode) };
}
