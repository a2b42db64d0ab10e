import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveAdminToken } from '../admin/auth.ts';
import { startControlPlane } from '../admin/control-plane.ts';
import { loadGatewayConfig } from '../gateway/config/load.ts';
import { tempDir } from './support/gateway.ts';

describe('admin token', () => {
  it('is generated at first start when ADMIN_TOKEN is unset, announced once (its file, never the token), kept readable by the owner only', () => {
    const dir = tempDir('admin-token-');
    const lines: string[] = [];
    const first = resolveAdminToken(undefined, dir, (l) => lines.push(l));
    expect(first).toMatch(/^gwa_[A-Za-z0-9_-]{43}$/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(join(dir, 'admin-token'));
    expect(lines[0]).not.toContain(first);
    expect(statSync(join(dir, 'admin-token')).mode & 0o777).toBe(0o600);
    const second = resolveAdminToken(undefined, dir, (l) => lines.push(l));
    expect(second).toBe(first);
    expect(lines).toHaveLength(1);
  });

  it('is ADMIN_TOKEN when set, and then nothing is written', () => {
    const dir = tempDir('admin-token-');
    expect(resolveAdminToken('from-the-environment-0123', dir, () => {})).toBe('from-the-environment-0123');
    expect(() => statSync(join(dir, 'admin-token'))).toThrow();
  });

  it('guards the admin API on its own port too', async () => {
    const dir = tempDir('admin-port-');
    const control = await startControlPlane({
      store: { kind: 'sqlite', path: join(dir, 'config.db') },
      fileConfig: loadGatewayConfig('config/mangaassist.json'),
      staticKeys: [],
      dataDir: dir,
      adminToken: 'own-port-admin-token-0123',
      adminPort: 0,
      log: () => {},
    });
    try {
      const url = control.adminServer!.url;
      expect((await fetch(`${url}/admin/config`)).status).toBe(401);
      const ok = await fetch(`${url}/admin/config`, { headers: { authorization: 'Bearer own-port-admin-token-0123' } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('etag')).toBe('"1"');
    } finally {
      await control.close();
    }
  });
});
