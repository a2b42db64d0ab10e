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

  it("logs a failed delivery by the receiver's origin only: the path and query of a webhook URL carry its secret", async () => {
    const lines: string[] = [];
    const secretPath = '/services/T0SECRET/B0SECRET/webhook-path-secret-0001';
    const answered = async () => new Response('no', { status: 403 });
    const url = `https://hooks.example.com${secretPath}?token=webhook-query-secret-0001`;
    expect(await postWebhook(url, PAYLOAD, { attempts: 1, fetch: answered, log: (l) => lines.push(l) })).toBe(false);
    expect(
      await postWebhook('http://127.0.0.1:9/hook?token=webhook-query-secret-0001', PAYLOAD, { attempts: 1, log: (l) => lines.push(l) }),
    ).toBe(false);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('https://hooks.example.com');
    expect(lines[0]).toContain('403');
    expect(lines[1]).toContain('http://127.0.0.1:9');
    for (const line of lines) {
      expect(line).not.toContain('SECRET');
      expect(line).not.toContain('webhook-path-secret-0001');
      expect(line).not.toContain('webhook-query-secret-0001');
    }
  });
});
