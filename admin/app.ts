import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { Logger } from '../lib/log/interface.ts';
import { CanaryBody, ConfigBody, ExperimentBody, PriceBody, PromptBody, RouteBody } from '../schema/admin.ts';
import { hasControllerRecords, type ConfigStore } from '../stores/config/interface.ts';
import { canaryControllerRoutes, canaryTimelines, recordAbort, type CanaryRouteDeps } from './canary/routes.ts';
import { reportsLoader } from './dashboard/load.ts';
import { dashboardRoutes, type DashboardRouteDeps } from './dashboard/route.ts';
import { dashboardKey, dashboardLoginRoute, withDashboardSession } from './dashboard/session.ts';
import { adminAuth, adminCredential } from './auth.ts';
import { etag } from './document.ts';
import { AdminError, ADMIN_ERRORS } from './errors.ts';
import { readDocument } from './mutate.ts';
import { openApiDocument } from './openapi.ts';
import { AdminRouter, validQuery, type AdminEnv } from './router.ts';
import { apiKeyRoutes } from './routes/keys.ts';
import { listCollectionRoutes, mapCollectionRoutes } from './routes/collections.ts';
import { rolloutRoutes } from './routes/rollouts.ts';
import { shadowRoutes } from './routes/shadow.ts';
import { optimizeRoutes, type OptimizeSource } from './optimize/routes.ts';

/** What the admin app needs. */
export interface AdminAppDeps {
  store: ConfigStore;
  /** Admin tokens (usually one, `ADMIN_TOKEN`). */
  tokens: string[];
  /** Seals the secrets of SigV4 keys (`GATEWAY_SECRET_KEY`); without it, creating a SigV4 key is refused. */
  secretKey?: CryptoKey;
  /** Whether a bearer value is a data-plane key (answered 403); defaults to the keys in the store. */
  isDataPlaneKey?: (key: string) => Promise<boolean>;
  /** Epoch milliseconds (audit times, key creation). */
  now?: () => number;
  /** Where the app is mounted; `/admin` by default. */
  basePath?: string;
  /** Options of the canary controller endpoints (mounted when the store keeps controller records). */
  canary?: Pick<CanaryRouteDeps, 'notify' | 'log' | 'logger'>;
  /**
   * Where internal errors and canary decisions made by hand are logged. Admin changes are logged by the store the
   * composition root hands in (`loggedConfigStore`), so each commit is logged once whoever makes it.
   */
  logger?: Logger;
  /**
   * What `GET /dashboard` shows: the newest reports under `reportsDir` (`reports` by default; evaluation runs
   * under `<reportsDir>/eval`) with the canary controller's timelines, or what a given `load` returns.
   */
  dashboard?: { reportsDir: string; evalDir?: string } | DashboardRouteDeps;
  /**
   * The evidence of `POST /optimize` (analysis of live observations, offline evaluation); the optimize routes are
   * mounted when it is given and the store keeps controller records.
   */
  optimize?: OptimizeSource;
}

/** Largest admin request body. */
const MAX_BODY_BYTES = 1_048_576;

const AuditQuery = z.strictObject({
  after: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/** Checks a bearer value against the non-revoked data-plane keys in the store. */
function storeKeyCheck(store: ConfigStore): (key: string) => Promise<boolean> {
  return async (key) => {
    const read = await store.read();
    if (!read.ok || !read.value) return false;
    const hash = createHash('sha256').update(key).digest('hex');
    return read.value.document.apiKeys.some((k) => k.kind === 'bearer' && k.hash === hash && k.revokedAt === null);
  };
}

/** Builds the admin (control-plane) app over a config store; every change is validated, versioned and audited. */
export function createAdminApp(deps: AdminAppDeps): Hono<AdminEnv> {
  const basePath = deps.basePath ?? '/admin';
  const app = new Hono<AdminEnv>().basePath(basePath);
  const routeDeps = { store: deps.store, now: deps.now ?? Date.now };
  const router = new AdminRouter(app);

  app.use(async (c, next) => {
    c.set('requestId', crypto.randomUUID());
    c.header('x-gateway-request-id', c.var.requestId);
    await next();
  });
  app.get('/openapi.json', (c) => c.json(openApiDocument(router.operations, basePath)));
  const session = { basePath, keys: deps.tokens.map(dashboardKey), now: routeDeps.now };
  dashboardLoginRoute(app, session);
  app.use(withDashboardSession(adminAuth(deps.tokens.map(adminCredential), deps.isDataPlaneKey ?? storeKeyCheck(deps.store)), session));
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AdminError('payload_too_large', `body exceeds ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );

  router.add({
    method: 'get',
    path: '/config',
    tag: 'config',
    summary: 'The whole routing configuration in force (ETag: the global version)',
    handler: async (c) => {
      const { version, document } = await readDocument(deps.store);
      c.header('ETag', etag(version));
      return c.json({ version, config: document.config });
    },
  });
  listCollectionRoutes(router, routeDeps, { kind: 'configs', key: 'id', noun: 'configuration', schema: ConfigBody });
  listCollectionRoutes(router, routeDeps, { kind: 'routes', key: 'name', noun: 'route', schema: RouteBody });
  shadowRoutes(router, routeDeps);
  listCollectionRoutes(router, routeDeps, { kind: 'experiments', key: 'id', noun: 'experiment', schema: ExperimentBody });
  listCollectionRoutes(router, routeDeps, { kind: 'canaries', key: 'id', noun: 'canary', schema: CanaryBody });
  const canaryDeps: CanaryRouteDeps | null = hasControllerRecords(deps.store)
    ? { store: deps.store, now: routeDeps.now, logger: deps.logger, ...deps.canary }
    : null;
  rolloutRoutes(router, routeDeps, canaryDeps ? { afterCanaryAbort: (id, actor) => recordAbort(canaryDeps, id, actor) } : {});
  if (canaryDeps) canaryControllerRoutes(router, canaryDeps);
  if (canaryDeps && deps.optimize) optimizeRoutes(router, canaryDeps, deps.optimize);
  const dashboard = deps.dashboard ?? { reportsDir: 'reports' };
  dashboardRoutes(
    router,
    'load' in dashboard
      ? dashboard
      : {
          load: reportsLoader({
            reportsDir: dashboard.reportsDir,
            evalDir: dashboard.evalDir ?? join(dashboard.reportsDir, 'eval'),
            canaries: canaryDeps ? () => canaryTimelines(canaryDeps) : undefined,
            runningExperiments: async () =>
              (await readDocument(deps.store)).document.config.experiments.filter((e) => e.status === 'running').map((e) => e.id),
          }),
        },
  );
  mapCollectionRoutes(router, routeDeps, { kind: 'pricing', noun: 'price', body: PriceBody, toValue: (b) => b, toBody: (v) => v });
  mapCollectionRoutes(router, routeDeps, {
    kind: 'system-prompts',
    noun: 'system prompt version',
    body: PromptBody,
    immutable: true,
    toValue: (b) => b.text,
    toBody: (v) => ({ text: v }),
  });
  apiKeyRoutes(router, routeDeps, { secretKey: deps.secretKey });
  router.add({
    method: 'get',
    path: '/audit',
    tag: 'audit',
    summary: 'Audit log, oldest first: who (admin token id), when, what, before and after',
    query: AuditQuery,
    handler: async (c) => {
      const query = validQuery(c, AuditQuery);
      const entries = await deps.store.audit(query);
      if (!entries.ok) throw new AdminError('store_unavailable', `config store unavailable: ${entries.error.message}`);
      const last = entries.value[entries.value.length - 1];
      return c.json({ entries: entries.value, next: last ? last.version : null });
    },
  });

  app.notFound((c) =>
    c.json(
      { error: { code: 'not_found', message: `no admin operation at ${c.req.method} ${c.req.path}` }, requestId: c.var.requestId },
      404,
    ),
  );
  app.onError((err, c) => {
    if (err instanceof AdminError) {
      const body = {
        error: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) },
        requestId: c.var.requestId,
      };
      return c.json(body, err.status);
    }
    if (deps.logger) deps.logger.error('admin request failed', { requestId: c.var.requestId, error: errorText(err) });
    else console.error(`admin request ${c.var.requestId} failed:`, err);
    return c.json({ error: { code: 'internal', message: 'internal admin error' }, requestId: c.var.requestId }, ADMIN_ERRORS.internal);
  });
  return app;
}

/** An unexpected error as one line: its stack when it has one. */
function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
