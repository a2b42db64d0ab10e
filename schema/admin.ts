import { z } from 'zod';
import { Canary, Experiment, GatewayConfig, Id, ModelConfig, Price, Route } from './config.ts';

/** Access key ids of SigV4 keys: `GWKA` and 16 base32 characters, 20 in all like AWS's own (`AKIA...`). */
export const ACCESS_KEY_ID = /^GWKA[A-Z2-7]{16}$/;

const keyFields = {
  id: Id,
  name: z.string().min(1).max(200),
  createdAt: z.number().int(),
  revokedAt: z.number().int().nullable(),
};

/** A bearer key as stored: only its SHA-256 hash and a short prefix to recognise it by. Older rows lack `kind`. */
export const BearerKeyRecord = z.strictObject({
  ...keyFields,
  kind: z.literal('bearer').default('bearer'),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  prefix: z.string(),
});

/**
 * A SigV4 key pair as stored: the access key id in clear, the secret sealed with AES-256-GCM under the gateway's
 * secret key (`GATEWAY_SECRET_KEY`, lib/secret-box.ts), since verifying a signature needs the secret itself.
 */
export const SigV4KeyRecord = z.strictObject({
  ...keyFields,
  kind: z.literal('sigv4'),
  accessKeyId: z.string().regex(ACCESS_KEY_ID),
  sealedSecret: z.string().min(1),
});

/** A data-plane key as stored, of either kind. */
export const ApiKeyRecord = z.union([SigV4KeyRecord, BearerKeyRecord]);
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
/** A new data-plane key; the key (or the SigV4 secret) is generated and shown once. */
export const ApiKeyBody = z.strictObject({
  name: z.string().min(1).max(200),
  kind: z
    .enum(['bearer', 'sigv4'], { error: 'must be bearer or sigv4' })
    .default('bearer')
    .describe('bearer (default): a key sent as Authorization: Bearer; sigv4: an access key id and secret for AWS SigV4 signing'),
});

/** Error body of the admin API. */
export const AdminErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
  requestId: z.string(),
});
