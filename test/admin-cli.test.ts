import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../admin/cli-commands.ts';
import { ADMIN_TOKEN } from './support/admin-fixtures.ts';
import { adminCall, startControlledStack } from './support/admin-stack.ts';

let stack: Awaited<ReturnType<typeof startControlledStack>>;
beforeAll(async () => {
  stack = await startControlledStack();
});
afterAll(() => stack.close());

async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runCli(argv, { ADMIN_URL: stack.url, ADMIN_TOKEN }, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
}

describe('admin CLI', () => {
  it('shows the configuration', async () => {
    const { code, out } = await cli('show');
    expect(code).toBe(0);
    expect(JSON.parse(out).config.routes[0].name).toBe('mangaassist');
  });

  it('stops and starts an experiment, and sets a canary weight', async () => {
    expect((await cli('experiment-pause', 'sonnet-v2-upgrade')).code).toBe(0);
    expect((await adminCall(stack.url, 'GET', '/experiments/sonnet-v2-upgrade')).json.status).toBe('paused');
    expect((await cli('experiment-start', 'sonnet-v2-upgrade')).code).toBe(0);
    expect((await adminCall(stack.url, 'GET', '/experiments/sonnet-v2-upgrade')).json.status).toBe('running');
    await adminCall(stack.url, 'POST', '/canaries', {
      id: 'cli-canary',
      route: 'mangaassist',
      intent: 'faq',
      baseline: 'sonnet-35-v1',
      candidate: 'haiku-35',
      weight: 5,
    });
    expect((await cli('canary-weight', 'cli-canary', '25')).code).toBe(0);
    expect((await adminCall(stack.url, 'GET', '/canaries/cli-canary')).json.weight).toBe(25);
    expect((await cli('experiment-stop', 'sonnet-v2-upgrade')).code).toBe(0);
    expect((await adminCall(stack.url, 'GET', '/experiments/sonnet-v2-upgrade')).json.status).toBe('stopped');
  });

  it('reports API errors and usage mistakes with a non-zero exit code', async () => {
    const bad = await cli('canary-weight', 'cli-canary', '250');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('400');
    expect((await cli('canary-weight', 'nope', '5')).out).toContain('404');
    expect((await cli('frobnicate')).code).toBe(2);
  });
});
