import { BedrockRuntimeClient, type BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime';

/** Model ids of the bundled profiles. */
export const SONNET_V1 = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
export const SONNET_V2 = 'anthropic.claude-3-5-sonnet-20241022-v2:0';
export const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';
export const SONNET_3 = 'anthropic.claude-3-sonnet-20240229-v1:0';
export const CUSTOM = 'sagemaker-custom-endpoint';

/** Test credentials. */
export const KEYS = { accessKeyId: 'AKIDSIMULATORTEST', secretAccessKey: 'simulator-test-secret' };

/** A real Bedrock Runtime client (default request handler) pointed at a simulator; no retries. */
export function sdkClient(url: string, config: Partial<BedrockRuntimeClientConfig> = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ endpoint: url, region: 'us-east-1', credentials: KEYS, maxAttempts: 1, ...config });
}

/** Tokens of a default-writer answer: one per word. */
export function wordCount(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/** A Converse body with one user message. */
export function converseBody(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { messages: [{ role: 'user', content: [{ text }] }], ...extra };
}

/** An Anthropic messages body for InvokeModel. */
export function anthropicBody(text: string, maxTokens = 1000): Record<string, unknown> {
  return {
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: maxTokens,
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
  };
}

/** POSTs JSON to a simulator operation through a fetch function (the app's or the network's). */
export function post(
  fetcher: (request: Request) => Response | Promise<Response>,
  base: string,
  modelId: string,
  operation: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const url = `${base}/model/${encodeURIComponent(modelId)}/${operation}`;
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  return Promise.resolve(
    fetcher(new Request(url, { method: 'POST', body: payload, headers: { 'content-type': 'application/json', ...headers } })),
  );
}
