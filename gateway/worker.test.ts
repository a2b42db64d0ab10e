import { describe, expect, it } from 'vitest';
import worker from './worker.ts';

const ctx = { waitUntil: () => {} };

describe('the Worker entry with a bad environment', () => {
  it('answers 500 naming the variable, and serves nothing', async () => {
    const res = await worker.fetch(new Request('http://edge.test/healthz'), { OBSERVATION_STORE: 'off', CONFIG_POLL_MS: 'soon' }, ctx);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/CONFIG_POLL_MS/);
  });

  it('without Bedrock credentials, answers 500 saying which variables to set', async () => {
    const res = await worker.fetch(new Request('http://edge.test/v1/models'), { OBSERVATION_STORE: 'off' }, ctx);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/AWS_BEARER_TOKEN_BEDROCK, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
  });
});
