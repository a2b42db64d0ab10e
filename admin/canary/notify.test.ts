import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { postWebhook, type WebhookPayload } from './notify.ts';

const PAYLOAD: WebhookPayload = {
  canary: 'k',
  action: 'rollback',
  stage: '5%',
  weight: 0,
  reason: 'P95',
  figures: null,
  at: 1,
  effectApplied: true,
};

describe('canary webhook', () => {
  it('posts the JSON payload and retries a failing receiver', async () => {
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        bodies.push(JSON.parse(body));
        res.writeHead(bodies.length < 2 ? 503 : 204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      expect(await postWebhook(url, PAYLOAD, { backoffMs: 5 })).toBe(true);
      expect(bodies).toEqual([PAYLOAD, PAYLOAD]);
    } finally {
      server.close();
    }
  });

  it('gives up after its attempts without throwing when nobody listens', async () => {
    const lines: string[] = [];
    expect(await postWebhook('http://127.0.0.1:9/hook', PAYLOAD, { attempts: 2, backoffMs: 5, log: (l) => lines.push(l) })).toBe(false);
    expect(lines).toHaveLength(2);
  });
});
