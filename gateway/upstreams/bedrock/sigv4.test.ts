import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodeSigningCrypto } from './node-crypto.ts';
import { createSigner, webSigningCrypto, type SignInput } from './sigv4.ts';

const date = new Date('2026-11-27T06:13:30.123Z');
const body = new TextEncoder().encode(JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi  there' }] }] }));
const cases = [
  { name: 'static keys', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' } },
  { name: 'temporary keys', credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token/with+chars==' } },
];

describe('SigV4 signer', () => {
  for (const { name, credentials } of cases) {
    for (const [cryptoName, crypto] of [
      ['node', nodeSigningCrypto],
      ['web', webSigningCrypto],
    ] as const) {
      it(`matches @smithy/signature-v4 with ${name} (${cryptoName} crypto)`, async () => {
        const path = `/model/${encodeURIComponent('anthropic.claude-3-5-haiku-20241022-v1:0')}/converse-stream`;
        const reference = await new SignatureV4({
          service: 'bedrock',
          region: 'eu-west-1',
          credentials,
          sha256: Sha256,
          applyChecksum: false,
        }).sign(
          {
            method: 'POST',
            protocol: 'https:',
            hostname: 'bedrock-runtime.eu-west-1.amazonaws.com',
            path,
            headers: { host: 'bedrock-runtime.eu-west-1.amazonaws.com', 'content-type': 'application/json', accept: 'application/json' },
            body,
            query: {},
          },
          { signingDate: date },
        );
        const ours = await createSigner(crypto)({
          host: 'bedrock-runtime.eu-west-1.amazonaws.com',
          path,
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body,
          credentials,
          region: 'eu-west-1',
          service: 'bedrock',
          date,
        });
        expect(ours.authorization).toBe(reference.headers.authorization);
        expect(ours['x-amz-date']).toBe(reference.headers['x-amz-date']);
        expect(ours['x-amz-security-token']).toBe(reference.headers['x-amz-security-token']);
      });
    }
  }
});

describe('SigV4 signing keys kept per day', () => {
  afterEach(() => vi.restoreAllMocks());
  const path = `/model/${encodeURIComponent('anthropic.claude-3-5-haiku-20241022-v1:0')}/converse`;
  const input = (credentials: SignInput['credentials'], at: Date): SignInput => ({
    host: 'bedrock-runtime.eu-west-1.amazonaws.com',
    path,
    headers: { 'content-type': 'application/json' },
    body,
    credentials,
    region: 'eu-west-1',
    service: 'bedrock',
    date: at,
  });
  const reference = (credentials: SignInput['credentials'], at: Date) =>
    new SignatureV4({ service: 'bedrock', region: 'eu-west-1', credentials, sha256: Sha256, applyChecksum: false })
      .sign(
        {
          method: 'POST',
          protocol: 'https:',
          hostname: 'bedrock-runtime.eu-west-1.amazonaws.com',
          path,
          headers: { host: 'bedrock-runtime.eu-west-1.amazonaws.com', 'content-type': 'application/json' },
          body,
          query: {},
        },
        { signingDate: at },
      )
      .then((r) => r.headers.authorization);
  // Across midnight and back: each day's signature from one long-lived signer equals the reference's for that day.
  const dates = ['2026-11-27T23:59:59Z', '2026-11-28T00:00:01Z', '2026-11-27T12:00:00Z', '2026-11-29T08:00:00Z'].map((d) => new Date(d));

  for (const [cryptoName, crypto] of [
    ['node', nodeSigningCrypto],
    ['web', webSigningCrypto],
  ] as const) {
    it(`a long-lived signer signs every day as a fresh one and the AWS SDK do (${cryptoName} crypto)`, async () => {
      const sign = createSigner(crypto);
      for (const { credentials } of cases) {
        for (const at of [...dates, ...dates]) {
          const ours = (await sign(input(credentials, at))).authorization;
          expect(ours).toBe(await reference(credentials, at));
          expect(ours).toBe((await createSigner(crypto)(input(credentials, at))).authorization);
        }
      }
    });
  }

  it("imports a day's Web Crypto signing key once, and derives a new one when the day changes", async () => {
    const imports = vi.spyOn(globalThis.crypto.subtle, 'importKey');
    const sign = createSigner(webSigningCrypto);
    const credentials = cases[0]!.credentials;
    await sign(input(credentials, dates[0]!));
    // Derivation: the secret, then the day, region and service keys; then the signing key itself.
    expect(imports).toHaveBeenCalledTimes(5);
    await sign(input(credentials, new Date('2026-11-27T23:59:59Z')));
    await sign(input(credentials, new Date('2026-11-27T06:00:00Z')));
    expect(imports).toHaveBeenCalledTimes(5);
    await sign(input(credentials, dates[1]!));
    expect(imports).toHaveBeenCalledTimes(10);
    await sign(input({ ...credentials, secretAccessKey: 'another-secret' }, dates[1]!));
    expect(imports).toHaveBeenCalledTimes(15);
  });
});

describe('SigV4 signer reused across header sets', () => {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  const host = 'bedrock-runtime.eu-west-1.amazonaws.com';
  const path = `/model/${encodeURIComponent('anthropic.claude-3-5-haiku-20241022-v1:0')}/converse`;
  const reference = (headers: Record<string, string>) =>
    new SignatureV4({ service: 'bedrock', region: 'eu-west-1', credentials, sha256: Sha256, applyChecksum: false }).sign(
      { method: 'POST', protocol: 'https:', hostname: host, path, headers: { host, ...headers }, body, query: {} },
      { signingDate: date },
    );
  // The signer keeps the sorted names of each set of header names it has seen: the same names with other values,
  // other names, names in another order or case, and a value with spaces to collapse must all still sign right.
  const sets: Record<string, string>[] = [
    { 'content-type': 'application/json', accept: 'application/json' },
    { 'content-type': 'application/json', accept: 'application/vnd.amazon.eventstream' },
    { accept: 'application/json', 'content-type': 'application/json' },
    { 'Content-Type': 'application/json', 'X-Amzn-Bedrock-Trace': '  ENABLED   now ' },
    { 'content-type': 'application/json' },
    { 'content-type': 'application/json', accept: 'application/json' },
  ];
  for (const [cryptoName, crypto] of [
    ['node', nodeSigningCrypto],
    ['web', webSigningCrypto],
  ] as const) {
    it(`signs each set as @smithy/signature-v4 does (${cryptoName} crypto)`, async () => {
      const sign = createSigner(crypto);
      for (const headers of sets) {
        const ours = await sign({ host, path, headers, body, credentials, region: 'eu-west-1', service: 'bedrock', date });
        expect(ours.authorization, JSON.stringify(headers)).toBe((await reference(headers)).headers.authorization);
      }
    });
  }
});
