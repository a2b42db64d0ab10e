import { GatewayError } from '../../errors.ts';
import { withDeadline } from '../deadline.ts';
import { fetchTransport } from '../http/fetch.ts';
import type { HttpTransport } from '../http/interface.ts';
import type { UpstreamCall, UpstreamClient, UpstreamResult } from '../interface.ts';

export interface OpenAIUpstreamOptions {
  transport?: HttpTransport;
  /** Looks up the environment variable a configuration names for its API key. */
  env?: (name: string) => string | undefined;
  /** Time allowed until the server's response headers arrive. */
  timeoutMs?: number;
}

/**
 * Calls OpenAI-compatible servers (`POST {baseUrl}/chat/completions`). Each configuration names its base
 * URL and the environment variable holding its key; the key is read at call time and never stored.
 */
export function openaiUpstream(options: OpenAIUpstreamOptions = {}): UpstreamClient {
  const send = options.transport ?? fetchTransport();
  const env =
    options.env ?? ((name: string) => (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name]);
  const timeoutMs = options.timeoutMs ?? 60_000;
  // Origin and path per base URL, parsed once: base URLs come from the configuration, so this stays small.
  const endpoints = new Map<string, { origin: string; path: string }>();
  const endpointOf = (baseUrl: string): { origin: string; path: string } => {
    let endpoint = endpoints.get(baseUrl);
    if (!endpoint) {
      const url = new URL(`${baseUrl.replace(/\/$/, '')}/chat/completions`);
      endpoint = { origin: url.origin, path: url.pathname };
      endpoints.set(baseUrl, endpoint);
    }
    return endpoint;
  };
  return {
    async call(call: UpstreamCall): Promise<UpstreamResult> {
      const target = call.target;
      if (target.provider !== 'openai') throw new Error(`openai upstream given a ${target.provider} target`);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: call.operation.endsWith('stream') ? 'text/event-stream' : 'application/json',
        'x-intent': call.intent,
      };
      if (target.apiKeyEnv) {
        const key = env(target.apiKeyEnv);
        if (!key)
          return {
            ok: false,
            error: new GatewayError('internal', `environment variable ${target.apiKeyEnv} (the API key of ${target.baseUrl}) is not set`),
          };
        headers.authorization = `Bearer ${key}`;
      }
      const { origin, path } = endpointOf(target.baseUrl);
      return withDeadline(call.signal, timeoutMs, (signal) => send({ origin, path, method: 'POST', headers, body: call.body, signal }));
    },
  };
}
