import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, ChecksumConstructor } from '@smithy/types';
import { GatewayError } from '../../errors.ts';
import type { UpstreamCall, UpstreamClient, UpstreamResult } from '../interface.ts';

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
  fetch?: typeof fetch;
  /** SHA-256 for signing; defaults to a portable JS one, the Node entry point passes node:crypto's. */
  sha256?: ChecksumConstructor;
}

/** Forwards Bedrock Runtime calls with raw signed HTTP requests, so response bytes pass through untouched. */
export function bedrockUpstream(options: BedrockUpstreamOptions): UpstreamClient {
  const base = new URL(options.endpoint);
  const basePath = base.pathname.replace(/\/$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const signer = options.credentials
    ? new SignatureV4({ service: 'bedrock', region: options.region, credentials: options.credentials, sha256: options.sha256 ?? Sha256 })
    : undefined;
  if (!signer && !options.apiKey) throw new Error('bedrock upstream needs credentials or an API key');

  async function headersFor(path: string, body: Uint8Array): Promise<Record<string, string>> {
    const headers: Record<string, string> = { host: base.host, 'content-type': 'application/json', accept: 'application/json' };
    if (!signer) return { ...headers, authorization: `Bearer ${options.apiKey}` };
    const signed = await signer.sign({
      method: 'POST',
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port ? Number(base.port) : undefined,
      path,
      headers,
      body,
      query: {},
    });
    return signed.headers;
  }

  return {
    async call(call: UpstreamCall): Promise<UpstreamResult> {
      const path = `${basePath}/model/${encodeURIComponent(call.modelId)}/${call.operation}`;
      const controller = new AbortController();
      const onClientAbort = (): void => controller.abort(call.signal.reason);
      call.signal.addEventListener('abort', onClientAbort, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
      try {
        const headers = await headersFor(path, call.body);
        delete headers.host;
        headers['x-intent'] = call.intent;
        const response = await doFetch(`${base.origin}${path}`, { method: 'POST', headers, body: call.body, signal: controller.signal });
        return { ok: true, response };
      } catch (err) {
        call.signal.removeEventListener('abort', onClientAbort);
        if (call.signal.aborted) return { ok: false, error: new GatewayError('client_abort', 'client went away before the model answered') };
        if (timedOut) return { ok: false, error: new GatewayError('upstream_timeout', `model did not answer within ${timeoutMs} ms`) };
        return { ok: false, error: new GatewayError('upstream_unavailable', `model endpoint unreachable: ${(err as Error).message}`) };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
