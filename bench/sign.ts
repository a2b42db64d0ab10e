import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** A simulator access key. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * SigV4 headers for a POST to the simulator at `endpoint`, signed once up front so the load generator
 * does no signing under load. The host header is left out: the HTTP client sets it from the simulator URL.
 */
export async function presign(endpoint: string, path: string, body: Uint8Array, credentials: Credentials): Promise<Record<string, string>> {
  const url = new URL(endpoint);
  const signer = new SignatureV4({ service: 'bedrock', region: 'us-east-1', credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path,
    query: {},
    headers: { host: url.host, 'content-type': 'application/json', accept: 'application/json' },
    body,
  });
  const { host: _host, ...headers } = signed.headers;
  return headers;
}
