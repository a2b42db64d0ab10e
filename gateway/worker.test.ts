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

describe('the Worker entry refusing a bad environment on each route family', () => {
  it("answers in AWS's error shape on Bedrock routes and OpenAI's elsewhere, with a request id", async () => {
    const bedrock = await worker.fetch(
      new Request('http://edge.test/model/m/converse', { method: 'POST', body: '{}' }),
      { OBSERVATION_STORE: 'off' },
      ctx,
    );
    expect(bedrock.status).toBe(500);
    expect(bedrock.headers.get('x-amzn-errortype')).toBe('InternalServerException');
    const aws = (await bedrock.json()) as { message: string; requestId: string };
    expect(aws.message).toMatch(/AWS_BEARER_TOKEN_BEDROCK/);
    expect(aws.requestId).toBe(bedrock.headers.get('x-amzn-requestid'));
    const openai = await worker.fetch(
      new Request('http://edge.test/v1/chat/completions', { method: 'POST', body: '{}' }),
      { OBSERVATION_STORE: 'off' },
      ctx,
    );
    const body = (await openai.json()) as { error: { type: string; code: string }; requestId: string };
    expect(body.error).toMatchObject({ type: 'api_error', code: 'internal' });
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
