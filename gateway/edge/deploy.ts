import { spawnSync } from 'node:child_process';

/**
 * `npm run deploy:edge`: checks that the Worker's required secrets exist in the Cloudflare account (by name, through
 * `wrangler secret list`), then runs `wrangler deploy`. Extra arguments go to `wrangler deploy` (e.g. `--env prod`).
 * Secrets are set beforehand with `npx wrangler secret put NAME`; they never go into wrangler.toml.
 */

/** Secrets the Worker cannot run without, and those it needs for each optional part. */
export const REQUIRED_SECRETS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
const ONE_OF = [['UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN']] as const;

/** Names missing from `present`: every required one, and the partners of any half-set pair. */
export function missingSecrets(present: Set<string>): string[] {
  const missing: string[] = REQUIRED_SECRETS.filter((name) => !present.has(name));
  for (const pair of ONE_OF) if (pair.some((n) => present.has(n))) missing.push(...pair.filter((n) => !present.has(n)));
  return missing;
}

function main(): void {
  const args = process.argv.slice(2);
  const wrangler = (cmd: string[], capture: boolean) =>
    spawnSync('npx', ['wrangler', ...cmd, ...args], {
      encoding: 'utf8',
      stdio: capture ? ['inherit', 'pipe', 'inherit'] : 'inherit',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    });
  const listed = wrangler(['secret', 'list', '--format', 'json'], true);
  if (listed.status !== 0) {
    console.error('cannot list the Worker secrets (run `npx wrangler login` or set CLOUDFLARE_API_TOKEN first)');
    process.exit(listed.status ?? 1);
  }
  const names = new Set((JSON.parse(listed.stdout) as { name: string }[]).map((s) => s.name));
  const missing = missingSecrets(names);
  if (missing.length) {
    console.error(`missing Worker secrets: ${missing.join(', ')}; set each with \`npx wrangler secret put NAME\` (docs/edge.md)`);
    process.exit(2);
  }
  process.exit(wrangler(['deploy'], false).status ?? 1);
}

if (process.argv[1]?.endsWith('deploy.ts')) main();
