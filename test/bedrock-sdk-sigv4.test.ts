import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, startControlledStack } from './support/admin-stack.ts';

const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const userMessage = (text: string) => [{ role: 'user' as const, content: [{ text }] }];
const anthropicBody = (text: string, maxTokens = 60) =>
  JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: maxTokens, messages: userMessage(text) });

let stack: Awaited<ReturnType<typeof startControlledStack>>;
let pair: { id: string; accessKeyId: string; secretAccessKey: string };
let client: BedrockRuntimeClient;
const clients: BedrockRuntimeClient[] = [];

/** A client that signs with SigV4 (the SDK's default when given credentials) over its default HTTP/2 handler. */
function sigv4Client(credentials: { accessKeyId: string; secretAccessKey: string }, region = 'us-east-1'): BedrockRuntimeClient {
  const made = new BedrockRuntimeClient({ region, endpoint: stack.url, credentials, maxAttempts: 1 });
  clients.push(made);
  return made;
}

beforeAll(async () => {
  stack = await startControlledStack({ pollMs: 50 });
  const created = await adminCall(stack.url, 'POST', '/api-keys', { name: 'boto-style chatbot', kind: 'sigv4' });
  expect(created.status).toBe(201);
  pair = created.json as typeof pair;
  // The gateway follows the store: wait until the new key has switched auth on.
  const deadline = Date.now() + 5_000;
  while (!stack.control.source.keys.enabled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  client = sigv4Client(pair);
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await stack?.close();
});

async function refusal(promise: Promise<unknown>): Promise<BedrockRuntimeServiceException> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BedrockRuntimeServiceException);
  return err as BedrockRuntimeServiceException;
}

describe('AWS SDK for JavaScript signing with a gateway SigV4 key pair (auth on, HTTP/2)', () => {
  it('the secret key that seals the pair was generated under DATA_DIR, readable by this user only', () => {
    const file = join(stack.dataDir, 'secret-key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
  });

  it('Converse on a route, over HTTP/2', async () => {
    let h2Sessions = 0;
    stack.gateway.server.http2.on('session', () => h2Sessions++);
    const out = await client.send(
      new ConverseCommand({
        modelId: 'mangaassist',
        messages: userMessage('Where is my order 123?'),
        requestMetadata: { intent: 'order_tracking', session_id: 's-sigv4-1' },
      }),
    );
    expect(out.output?.message?.content?.[0]?.text?.length).toBeGreaterThan(0);
    expect(out.usage?.outputTokens).toBeGreaterThan(0);
    expect(h2Sessions).toBe(1);
  });

  it('ConverseStream on a model id with ":" (the path the SDK signs encoded twice)', async () => {
    const out = await client.send(new ConverseStreamCommand({ modelId: HAIKU, messages: userMessage('Recommend a manga') }));
    let text = '';
    let outputTokens = 0;
    for await (const event of out.stream!) {
      text += event.contentBlockDelta?.delta?.text ?? '';
      outputTokens = event.metadata?.usage?.outputTokens ?? outputTokens;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(outputTokens).toBeGreaterThan(0);
  });

  it('InvokeModel', async () => {
    const out = await client.send(
      new InvokeModelCommand({ modelId: HAIKU, contentType: 'application/json', body: anthropicBody('hello') }),
    );
    const body = JSON.parse(new TextDecoder().decode(out.body)) as { content: { text: string }[]; usage: { output_tokens: number } };
    expect(body.content[0]!.text.length).toBeGreaterThan(0);
    expect(body.usage.output_tokens).toBeGreaterThan(0);
  });

  it('InvokeModelWithResponseStream, signed for another region', async () => {
    const other = sigv4Client(pair, 'eu-central-1');
    const out = await other.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: 'mangaassist',
        contentType: 'application/json',
        body: anthropicBody('deals?', 200),
      }),
    );
    const types: string[] = [];
    for await (const event of out.body!) {
      const chunk = JSON.parse(new TextDecoder().decode(event.chunk!.bytes)) as { type: string };
      types.push(chunk.type);
    }
    expect(types[0]).toBe('message_start');
    expect(types).toContain('content_block_delta');
    expect(types.at(-1)).toBe('message_stop');
  });

  it('a wrong secret is refused: 403 InvalidSignatureException with AWS words', async () => {
    const wrong = sigv4Client({ accessKeyId: pair.accessKeyId, secretAccessKey: `${pair.secretAccessKey.slice(0, -1)}x` });
    const err = await refusal(wrong.send(new ConverseCommand({ modelId: 'mangaassist', messages: userMessage('hi') })));
    expect(err.name).toBe('InvalidSignatureException');
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.message).toMatch(/^The request signature we calculated does not match/);
  });

  it('an unknown access key is refused: 403 UnrecognizedClientException', async () => {
    const stranger = sigv4Client({ accessKeyId: 'GWKAAAAAAAAAAAAAAAAA', secretAccessKey: pair.secretAccessKey });
    const err = await refusal(stranger.send(new ConverseCommand({ modelId: 'mangaassist', messages: userMessage('hi') })));
    expect(err.name).toBe('UnrecognizedClientException');
    expect(err.$metadata.httpStatusCode).toBe(403);
  });

  it('a revoked pair is refused at once once the gateway sees the change', async () => {
    const extra = await adminCall(stack.url, 'POST', '/api-keys', { name: 'short-lived', kind: 'sigv4' });
    const short = extra.json as typeof pair;
    const shortClient = sigv4Client(short);
    const call = () => shortClient.send(new ConverseCommand({ modelId: 'mangaassist', messages: userMessage('hi') }));
    const deadline = Date.now() + 5_000;
    let accepted = false;
    while (!accepted && Date.now() < deadline)
      accepted = await call().then(
        () => true,
        () => false,
      );
    expect(accepted).toBe(true);
    expect((await adminCall(stack.url, 'DELETE', `/api-keys/${short.id}`)).status).toBe(200);
    await stack.control.source.poll();
    const err = await refusal(call());
    expect(err.name).toBe('UnrecognizedClientException');
  });
});
