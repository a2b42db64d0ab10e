import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startScriptNodeFlags } from './server-process.ts';

describe('startScriptNodeFlags', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const checkout = (start: string | undefined): string => {
    const dir = mkdtempSync(join(tmpdir(), 'start-flags-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ scripts: start === undefined ? {} : { start } }));
    return dir;
  };

  it('reads the flags npm start gives node, up to --import or the entry', () => {
    expect(startScriptNodeFlags(checkout('exec node --max-semi-space-size=32 --import tsx gateway/main.ts'))).toEqual([
      '--max-semi-space-size=32',
    ]);
    expect(startScriptNodeFlags(checkout('node --max-old-space-size=512 --stack-size=2000 main.js --port 1'))).toEqual([
      '--max-old-space-size=512',
      '--stack-size=2000',
    ]);
  });

  it('stops at a loader flag in either form, and refuses a flag whose value follows as its own word', () => {
    expect(startScriptNodeFlags(checkout('exec /usr/bin/node --expose-gc --import=tsx gateway/main.ts'))).toEqual(['--expose-gc']);
    expect(startScriptNodeFlags(checkout('node --trace-warnings -r ./setup.cjs main.js'))).toEqual(['--trace-warnings']);
    expect(() => startScriptNodeFlags(checkout('node --stack-size 2000 main.js'))).toThrow(/--stack-size 2000/);
    expect(() => startScriptNodeFlags(checkout('node -e 1'))).toThrow(/-e/);
  });

  it('is empty when npm start gives node no flag or does not run node', () => {
    expect(startScriptNodeFlags(checkout('exec node --import tsx gateway/main.ts'))).toEqual([]);
    expect(startScriptNodeFlags(checkout('tsx gateway/main.ts --fast'))).toEqual([]);
    expect(startScriptNodeFlags(checkout(undefined))).toEqual([]);
  });

  it('gives the proxies of this checkout the young generation npm start sets', () => {
    expect(startScriptNodeFlags()).toContain('--max-semi-space-size=32');
  });
});
