import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { withFields } from '../../../lib/fields.ts';
import { withDeadline } from '../deadline.ts';
import { fetchTransport } from '../http/fetch.ts';
import type { HttpTransport } from '../http/interface.ts';
import type { UpstreamCall, UpstreamClient, UpstreamResult } from '../interface.ts';
import { createSigner, webSigningCrypto, type SigningCrypto } from './sigv4.ts';

export interface BedrockUpstreamOptions {
  /** e.g. https://bedrock-runtime.us-east-1.amazonaws.com, or a simulator's URL. */
  endpoint: string;
  region: string;
  /** SigV4 credentials (static or a provider such as the SDK's default chain). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** A Bedrock API key, sent as a bearer token instead of signing. */
  apiKey?: string;
  /** Time allowed until the provider's response headers arrive. */
  timeoutMs?: number;
  /** How requests are sent; defaults to the runtime's fetch. */
  transport?: HttpTransport;
  /** Hashing for SigV4; defaults to Web Crypto, the Node entry point passes node:crypto's. */
  signingCrypto?: SigningCrypto;
}

/** Forwards Bedrock Runtime calls with raw signed HTTP requests, so response bytes pass through untouched. */
export function bedrockUpstream(options: BedrockUpstreamOptions): UpstreamClient {
  const base = new URL(options.endpoint);
  const basePath = base.pathname.replace(/\/$/, '');
  const send = options.transport ?? fetchTransport();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const sign = createSigner(options.signingCrypto ?? webSigningCrypto);
  const credentials = options.credentials;
  if (!credentials && !options.apiKey) throw new Error('bedrock upstream needs credentials or an API key');
  const baseHeaders = { 'content-type': 'application/json', accept: 'application/json' };

  async function headersFor(path: string, body: Uint8Array): Promise<Record<string, string>> {
    if (!credentials) return withFields(baseHeaders, { authorization: `Bearer ${options.apiKey}` });
    const identity = typeof credentials === 'function' ? await credentials() : credentials;
    return sign({
      host: base.host,
      path,
      headers: baseHeaders,
      body,
      credentials: identity,
      region: options.region,
      service: 'bedrock',
    });
  }

  return {
    async call(call: UpstreamCall): Promise<UpstreamResult> {
      if (call.target.provider !== 'bedrock') throw new Error(`bedrock upstream given a ${call.target.provider} target`);
      const path = `${basePath}/model/${encodeURIComponent(call.target.modelId)}/${call.operation}`;
      return withDeadline(call.signal, timeoutMs, async (signal) => {
        const headers = await headersFor(path, call.body);
        headers['x-intent'] = call.intent;
        return send({ origin: base.origin, path, method: 'POST', headers, body: call.body, signal });
      });
    },
  };
}
