import { z } from 'zod';
import { checkFallbacks } from './fallbacks.ts';
import { pricingKeyOf } from './pricing.ts';

/** Identifier of a configuration, route, experiment or canary: lower-case slug. */
export const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1-64 chars of a-z, 0-9, ".", "_" or "-", starting with a letter or digit');

/**
 * USD per 1,000 tokens, as cloud price lists quote them. Prompt-cache reads and writes have their own prices
 * (Anthropic models on Bedrock: reads 0.1x, writes 1.25x the input price); without them they cost as input.
 */
export const Price = z.strictObject({
  inputPer1k: z.number().nonnegative(),
  outputPer1k: z.number().nonnegative(),
  cacheReadPer1k: z.number().nonnegative().optional(),
  cacheWritePer1k: z.number().nonnegative().optional(),
});
export type Price = z.infer<typeof Price>;

/** Where a configuration sends its calls. One member per provider; new providers add a member. */
export const BedrockUpstream = z.strictObject({
  provider: z.literal('bedrock'),
  /** Bedrock model id or inference profile id, e.g. anthropic.claude-3-5-haiku-20241022-v1:0. */
  modelId: z.string().min(1),
});
/** An OpenAI-compatible server (vLLM, TGI, a SageMaker endpoint behind one, OpenAI itself). */
export const OpenAIUpstream = z.strictObject({
  provider: z.literal('openai'),
  /** Base URL up to and including the API version, e.g. http://10.0.0.5:8000/v1 */
  baseUrl: z.url().regex(/^https?:\/\//, 'must be an http(s) URL'),
  /** Model name the server expects. */
  model: z.string().min(1),
  /** Name of the environment variable that holds the API key (never the key itself). */
  apiKeyEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name')
    .optional(),
});
export const Upstream = z.discriminatedUnion('provider', [BedrockUpstream, OpenAIUpstream]);
export type Upstream = z.infer<typeof Upstream>;

/** The model a configuration calls, as its provider names it. */
export function upstreamModelOf(upstream: Upstream): string {
  return upstream.provider === 'bedrock' ? upstream.modelId : upstream.model;
}

/** A model configuration: a model plus the inference settings the gateway applies to every call. */
export const ModelConfig = z.strictObject({
  id: Id,
  description: z.string().optional(),
  upstream: Upstream,
  /**
   * Key into `pricing`; defaults to the upstream model id (a cross-region inference profile id such as
   * `us.anthropic...` is priced as its base model). Needed for an application inference profile ARN.
   */
  priceKey: z.string().min(1).optional(),
  temperature: z.number().min(0).max(1).optional(),
  maxTokens: z.number().int().positive().max(200_000),
  topP: z.number().min(0).max(1).optional(),
  /** Key into `systemPrompts`; its text is put before the client's own system prompt. */
  systemPromptVersion: z.string().min(1).optional(),
  /**
   * Other configurations to try, in order, when this one's model throttles, fails with a 5xx, times out or cannot be
   * reached before any byte of the answer went to the client (their own fallbacks follow each in turn).
   */
  fallbacks: z
    .array(Id)
    .max(10)
    .optional()
    .describe(
      'Configuration ids tried in order when this configuration throttles (429), fails (5xx), times out or is unreachable before any byte reached the client; each must exist, none may be this configuration, and fallbacks may not form a cycle',
    ),
});
export type ModelConfig = z.infer<typeof ModelConfig>;

/** Intent key of a route-wide shadow (every intent without its own entry). */
export const ALL_INTENTS = '*';

/**
 * A shadow candidate of a route and intent: after the client's answer is complete, `share` percent of sessions
 * (sticky, bucketed apart from experiments and canaries) have their request sent again to `config`, recorded with
 * traffic class `shadow`; the client never sees that answer.
 */
export const Shadow = z.strictObject({
  config: Id,
  /** Percent of sessions whose requests are shadowed, 0..100. */
  share: z.number().min(0).max(100),
});
export type Shadow = z.infer<typeof Shadow>;

/** A route: what a client names as its model id. Per-intent table with a default. */
export const Route = z.strictObject({
  name: Id,
  /** Intents this route knows; any other intent (or none) is treated as `other`. */
  intents: z.array(Id).min(1),
  default: Id,
  table: z.record(z.string(), Id).default({}),
  /** Shadow candidates by intent (one of `intents`, `other`, or `*` for every intent without its own). */
  shadow: z.record(z.string(), Shadow).optional(),
});
export type Route = z.infer<typeof Route>;

const Status = z.enum(['running', 'paused', 'stopped']);

/** An A/B experiment on one route, for one intent or (`intent` omitted) for all of them. */
export const Experiment = z.strictObject({
  id: Id,
  route: Id,
  intent: Id.optional(),
  control: Id,
  treatment: Id,
  /** Share of sessions in the treatment, 0..1. */
  split: z.number().min(0).max(1),
  status: Status.default('running'),
});
export type Experiment = z.infer<typeof Experiment>;

/** A canary rollout on one route, for one intent or all of them. */
export const Canary = z.strictObject({
  id: Id,
  route: Id,
  intent: Id.optional(),
  baseline: Id,
  candidate: Id,
  /** Percent of sessions on the candidate, 0..100. */
  weight: z.number().min(0).max(100),
  status: Status.default('running'),
});
export type Canary = z.infer<typeof Canary>;

const GatewayConfigShape = z.strictObject({
  pricing: z.record(z.string(), Price),
  systemPrompts: z.record(z.string(), z.string()).default({}),
  configs: z.array(ModelConfig).min(1),
  routes: z.array(Route).default([]),
  experiments: z.array(Experiment).default([]),
  canaries: z.array(Canary).default([]),
});

/** The whole routing configuration, with every cross-reference checked. */
export const GatewayConfig = GatewayConfigShape.superRefine(checkReferences);
export type GatewayConfig = z.infer<typeof GatewayConfig>;

/** The price key of a configuration: its `priceKey`, else its upstream model id (resolved with `pricingKeyOf`). */
export function priceKeyOf(config: ModelConfig): string {
  return config.priceKey ?? upstreamModelOf(config.upstream);
}

function checkReferences(cfg: z.infer<typeof GatewayConfigShape>, ctx: z.RefinementCtx): void {
  const configIds = new Set<string>();
  cfg.configs.forEach((c, i) => {
    if (configIds.has(c.id)) ctx.addIssue({ code: 'custom', path: ['configs', i, 'id'], message: `duplicate configuration id "${c.id}"` });
    configIds.add(c.id);
    const key = priceKeyOf(c);
    if (pricingKeyOf(cfg.pricing, key) === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['configs', i, 'priceKey'],
        message: `configuration "${c.id}" has no price: add pricing["${key}"]${key.startsWith('arn:') ? ' or a priceKey naming the model it serves' : ''}`,
      });
    }
    if (c.systemPromptVersion && cfg.systemPrompts[c.systemPromptVersion] === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['configs', i, 'systemPromptVersion'],
        message: `unknown system prompt version "${c.systemPromptVersion}"`,
      });
    }
  });
  const ref = (path: (string | number)[], id: string): void => {
    if (!configIds.has(id)) ctx.addIssue({ code: 'custom', path, message: `unknown configuration "${id}"` });
  };
  checkFallbacks(cfg.configs, configIds, ctx);
  const routes = new Map<string, Route>();
  cfg.routes.forEach((r, i) => {
    if (routes.has(r.name)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'name'], message: `duplicate route "${r.name}"` });
    routes.set(r.name, r as Route);
    ref(['routes', i, 'default'], r.default);
    for (const [intent, id] of Object.entries(r.table)) {
      if (!r.intents.includes(intent))
        ctx.addIssue({ code: 'custom', path: ['routes', i, 'table', intent], message: `intent "${intent}" is not in the route's intents` });
      ref(['routes', i, 'table', intent], id);
    }
    for (const [intent, shadow] of Object.entries(r.shadow ?? {})) {
      if (intent !== ALL_INTENTS && intent !== 'other' && !r.intents.includes(intent))
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'shadow', intent],
          message: `intent "${intent}" is not in the route's intents (nor "other" or "${ALL_INTENTS}")`,
        });
      ref(['routes', i, 'shadow', intent, 'config'], shadow.config);
    }
  });
  const running = new Map<string, string>();
  const checkRollout = (
    kind: 'experiments' | 'canaries',
    i: number,
    r: { id: string; route: string; intent?: string | undefined; status: string },
    arms: [string, string][],
  ): void => {
    const route = routes.get(r.route);
    if (!route) ctx.addIssue({ code: 'custom', path: [kind, i, 'route'], message: `unknown route "${r.route}"` });
    else if (r.intent && !route.intents.includes(r.intent))
      ctx.addIssue({ code: 'custom', path: [kind, i, 'intent'], message: `intent "${r.intent}" is not in route "${r.route}"` });
    for (const [field, id] of arms) ref([kind, i, field], id);
    if (r.status !== 'running') return;
    const key = `${kind}:${r.route}:${r.intent ?? '*'}`;
    const other = running.get(key);
    if (other)
      ctx.addIssue({
        code: 'custom',
        path: [kind, i, 'status'],
        message: `"${r.id}" and "${other}" both run on ${r.route}/${r.intent ?? '*'}`,
      });
    running.set(key, r.id);
  };
  const ids = new Set<string>();
  const checkId = (kind: string, i: number, id: string): void => {
    if (ids.has(id)) ctx.addIssue({ code: 'custom', path: [kind, i, 'id'], message: `duplicate experiment or canary id "${id}"` });
    ids.add(id);
  };
  cfg.experiments.forEach((e, i) => {
    checkId('experiments', i, e.id);
    checkRollout('experiments', i, e, [
      ['control', e.control],
      ['treatment', e.treatment],
    ]);
  });
  cfg.canaries.forEach((c, i) => {
    checkId('canaries', i, c.id);
    checkRollout('canaries', i, c, [
      ['baseline', c.baseline],
      ['candidate', c.candidate],
    ]);
  });
}

/** Formats zod issues as `path: message` lines, for start-up errors and admin responses. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('\n');
}
