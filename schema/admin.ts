import { z } from 'zod';
import { Canary, Experiment, GatewayConfig, Id, ModelConfig, Price, Route } from './config.ts';

/** A data-plane API key as stored: only its SHA-256 hash and a short prefix to recognise it by. */
export const ApiKeyRecord = z.strictObject({
  id: Id,
  name: z.string().min(1).max(200),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  prefix: z.string(),
  createdAt: z.number().int(),
  revokedAt: z.number().int().nullable(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecord>;

/** What the config store keeps: the routing configuration, per-resource versions and the hashed keys. */
export const ConfigDocument = z.strictObject({
  config: GatewayConfig,
  /** Version of each resource (`configs/<id>`, `routes/<name>`, ...): the global version of its last change. */
  versions: z.record(z.string(), z.number().int().nonnegative()).default({}),
  apiKeys: z.array(ApiKeyRecord).default([]),
});
export type ConfigDocument = z.infer<typeof ConfigDocument>;

/** One audited change: who (an admin token's id), when, what, and the resource before and after. */
export const AuditEntry = z.strictObject({
  version: z.number().int().positive(),
  time: z.number().int(),
  actor: z.string(),
  action: z.string(),
  resource: z.string(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** Body of a new or replaced model configuration. */
export const ConfigBody = ModelConfig;
/** Body of a new or replaced route. */
export const RouteBody = Route;
/** Body of a new experiment (it runs unless `status` says otherwise). */
export const ExperimentBody = Experiment;
/** Body of a new canary. */
export const CanaryBody = Canary;
/** Changes to an experiment: its split and/or its status. */
export const ExperimentPatch = z
  .strictObject({ split: z.number().min(0).max(1).optional(), status: z.enum(['running', 'paused', 'stopped']).optional() })
  .refine((p) => p.split !== undefined || p.status !== undefined, 'give split and/or status');
/** Ends an experiment: the winner becomes the route's configuration for the experiment's intent. */
export const ConcludeBody = z.strictObject({ winner: Id });
/** Changes to a canary: its weight in percent. */
export const CanaryWeightBody = z.strictObject({ weight: z.number().min(0).max(100) });
/** A price row, USD per 1,000 tokens. */
export const PriceBody = Price;
/** A system prompt version's text. */
export const PromptBody = z.strictObject({ text: z.string() });
/** A new data-plane key; the key itself is generated and shown once. */
export const ApiKeyBody = z.strictObject({ name: z.string().min(1).max(200) });

/** Error body of the admin API. */
export const AdminErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
  requestId: z.string(),
});
