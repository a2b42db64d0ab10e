import { createSigV4Verifier, parseSigV4, type SigV4Claim, type SignedParts } from '../gateway/sigv4-verify.ts';
import { createSigner, webSigningCrypto, type SigningCrypto, type SignInput } from '../gateway/upstreams/bedrock/sigv4.ts';

/**
 * The SigV4 work of one request, repeated: runnable in Node and, as a Worker's `fetch`
 * (`/?crypto=web&op=sign&n=5000`), under workerd, for `bench/sigv4-cpu.ts`.
 */

const encoder = new TextEncoder();

/** Web Crypto importing the key of every HMAC, as the signer did before imported keys were kept: the comparison. */
export const webImportEveryHmac: SigningCrypto = {
  sha256Hex: webSigningCrypto.sha256Hex,
  async hmac(key, data) {
    const raw = typeof key === 'string' ? encoder.encode(key) : new Uint8Array(key);
    const imported = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    return new Uint8Array(await crypto.subtle.sign('HMAC', imported, encoder.encode(data)));
  },
};

const credentials = { accessKeyId: 'AKIDBENCHSIGV4', secretAccessKey: 'bench-secret-for-the-sigv4-cpu-measurement' };
/** A Converse call of about 700 bytes, as the upstream client signs it. */
const input: SignInput = {
  host: '127.0.0.1:8080',
  path: `/model/${encodeURIComponent('anthropic.claude-3-5-haiku-20241022-v1:0')}/converse`,
  headers: { 'content-type': 'application/json', accept: 'application/json' },
  body: encoder.encode(JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'x'.repeat(600) }] }] })),
  credentials,
  region: 'us-east-1',
  service: 'bedrock',
};

/** A repeatable SigV4 operation with one long-lived signer or verifier, as a process or isolate keeps them. */
export type SigV4Op = 'sign' | 'verify';

/** Returns a function that runs `op` `n` times over `signingCrypto`, failing on a signature that does not verify. */
export async function sigv4Workload(signingCrypto: SigningCrypto, op: SigV4Op): Promise<(n: number) => Promise<void>> {
  const sign = createSigner(signingCrypto);
  if (op === 'sign')
    return async (n) => {
      for (let i = 0; i < n; i++) await sign(input);
    };
  const signed = await createSigner(webSigningCrypto)(input);
  const headers = new Headers(signed);
  const parsed = parseSigV4(signed.authorization!, headers, Date.now());
  if (!parsed.ok) throw new Error(parsed.message);
  const claim: SigV4Claim = parsed.value;
  const parts: SignedParts = { method: 'POST', url: new URL(`http://${input.host}${input.path}`), headers, body: input.body };
  const verify = createSigV4Verifier(signingCrypto);
  return async (n) => {
    for (let i = 0; i < n; i++) {
      const result = await verify(claim, parts, credentials.secretAccessKey);
      if (!result.ok) throw new Error(result.message);
    }
  };
}

const cryptos: Record<string, SigningCrypto> = { web: webSigningCrypto, 'web-import-every-hmac': webImportEveryHmac };
const workloads = new Map<string, (n: number) => Promise<void>>();

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get('crypto') ?? '';
    const op = url.searchParams.get('op');
    const n = Number(url.searchParams.get('n'));
    const signingCrypto = cryptos[name];
    if (!signingCrypto || (op !== 'sign' && op !== 'verify') || !Number.isInteger(n) || n < 1)
      return new Response('expected ?crypto=web|web-import-every-hmac&op=sign|verify&n=<count>', { status: 400 });
    let run = workloads.get(`${name}/${op}`);
    if (!run) {
      run = await sigv4Workload(signingCrypto, op);
      workloads.set(`${name}/${op}`, run);
    }
    await run(n);
    return new Response('ok');
  },
};
