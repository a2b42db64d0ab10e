import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { nodeSigningCrypto } from './node-crypto.ts';
import { createSigner, webSigningCrypto } from './sigv4.ts';

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
