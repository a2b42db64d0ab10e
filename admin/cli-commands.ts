import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { commandEnv, withoutEmpty } from '../schema/env.ts';
import { dashboardKey, LINK_TTL_MS, signDashboardLink } from './dashboard/session.ts';

/** Settings of the admin CLI (and of `npm run optimize`), from the environment. */
export const CliEnv = z.object({
  ADMIN_URL: z.url().default('http://127.0.0.1:8080'),
  ADMIN_TOKEN: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
});

interface Command {
  usage: string;
  args: number;
  request: (args: string[]) => { method: string; path: string; body?: unknown };
}

const enc = encodeURIComponent;

const COMMANDS: Record<string, Command> = {
  show: { usage: 'show', args: 0, request: () => ({ method: 'GET', path: '/config' }) },
  'canary-weight': {
    usage: 'canary-weight <canary-id> <weight 0..100>',
    args: 2,
    request: ([id, weight]) => ({ method: 'PATCH', path: `/canaries/${enc(id!)}`, body: { weight: Number(weight) } }),
  },
  'canary-abort': {
    usage: 'canary-abort <canary-id>',
    args: 1,
    request: ([id]) => ({ method: 'POST', path: `/canaries/${enc(id!)}/abort` }),
  },
  'experiment-start': {
    usage: 'experiment-start <experiment-id>',
    args: 1,
    request: ([id]) => ({ method: 'PATCH', path: `/experiments/${enc(id!)}`, body: { status: 'running' } }),
  },
  'experiment-pause': {
    usage: 'experiment-pause <experiment-id>',
    args: 1,
    request: ([id]) => ({ method: 'PATCH', path: `/experiments/${enc(id!)}`, body: { status: 'paused' } }),
  },
  'experiment-stop': {
    usage: 'experiment-stop <experiment-id>',
    args: 1,
    request: ([id]) => ({ method: 'PATCH', path: `/experiments/${enc(id!)}`, body: { status: 'stopped' } }),
  },
  'experiment-split': {
    usage: 'experiment-split <experiment-id> <split 0..1>',
    args: 2,
    request: ([id, split]) => ({ method: 'PATCH', path: `/experiments/${enc(id!)}`, body: { split: Number(split) } }),
  },
  'experiment-conclude': {
    usage: 'experiment-conclude <experiment-id> <winning-config-id>',
    args: 2,
    request: ([id, winner]) => ({ method: 'POST', path: `/experiments/${enc(id!)}/conclude`, body: { winner } }),
  },
};

/** The usage text of the CLI. */
export function usage(): string {
  return [
    'usage: npm run admin -- <command>',
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}`),
    `  dashboard-link   (prints a link that opens the dashboard in a browser; valid ${LINK_TTL_MS / 60_000} minutes)`,
    '',
    'env: ADMIN_URL (default http://127.0.0.1:8080), ADMIN_TOKEN (default: $DATA_DIR/admin-token)',
  ].join('\n');
}

/**
 * The admin API base URL (`$ADMIN_URL/admin`) and token (`ADMIN_TOKEN`, else `$DATA_DIR/admin-token`) from the
 * environment, validated; null once `out` got what is wrong.
 */
export function adminTarget(env: Record<string, string | undefined>, out: (line: string) => void): { base: string; token: string } | null {
  const settings = commandEnv(CliEnv, withoutEmpty(env), out);
  if (!settings) return null;
  const tokenFile = join(settings.DATA_DIR, 'admin-token');
  const token = settings.ADMIN_TOKEN ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  if (!token) {
    out(`no admin token: set ADMIN_TOKEN (or run where ${tokenFile} exists)`);
    return null;
  }
  return { base: `${settings.ADMIN_URL.replace(/\/$/, '')}/admin`, token };
}

/** Runs one CLI command against the admin API; returns the process exit code. */
export async function runCli(argv: string[], env: Record<string, string | undefined>, out: (line: string) => void): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? COMMANDS[name] : undefined;
  const link = name === 'dashboard-link' && args.length === 0;
  if (!link && (!command || args.length !== command.args)) {
    out(usage());
    return 2;
  }
  const target = adminTarget(env, out);
  if (!target) return 2;
  const { base, token } = target;
  if (link) {
    const signed = signDashboardLink(dashboardKey(token), Date.now());
    out(`${base}/dashboard/login?${signed.query}`);
    out(`(open it in a browser before ${new Date(signed.expires).toISOString()}; the session it starts lasts an hour)`);
    return 0;
  }
  const req = command!.request(args);
  const res = await fetch(`${base}${req.path}`, {
    method: req.method,
    headers: { authorization: `Bearer ${token}`, ...(req.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: req.body === undefined ? undefined : JSON.stringify(req.body),
  });
  const text = await res.text();
  if (!res.ok) {
    out(`${res.status}: ${text}`);
    return 1;
  }
  out(JSON.stringify(JSON.parse(text), null, 2));
  return 0;
}
