import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../stores/config/env.ts';
import { EvalEnv, parseEvalArgs, type EvalArgs } from './args.ts';
import { defaultRunId, gatewayTag } from './run-id.ts';

describe('parseEvalArgs', () => {
  it('applies the documented defaults', () => {
    const args = parseEvalArgs(['--configs', 'sonnet-35-v2, haiku-35']);
    expect(args).toMatchObject({
      configs: ['sonnet-35-v2', 'haiku-35'],
      dataset: 'analysis/eval/datasets/mangaassist-golden.jsonl',
      concurrency: 4,
      store: 'data/gateway.db',
      'time-scale': 0,
      seed: '1',
      gate: 0.75,
      attempts: 5,
      fresh: false,
    });
    expect((args as EvalArgs).config).toBeUndefined();
  });

  it('takes the store, time scale and seed defaults from the validated environment', () => {
    const env = EvalEnv.parse({ DATA_DIR: '/srv/gw', SIM_TIME_SCALE: '0.5', SIM_SEED: '9' });
    expect(parseEvalArgs(['--configs', 'a,b'], env)).toMatchObject({ store: '/srv/gw/gateway.db', 'time-scale': 0.5, seed: '9' });
    expect(parseEvalArgs(['--configs', 'a,b', '--store', 'x.db', '--seed', '3'], env)).toMatchObject({ store: 'x.db', seed: '3' });
  });

  it('names the variable of a bad environment value', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ CONFIG_STORE: 'mongo' }, /CONFIG_STORE/],
      [{ SIM_TIME_SCALE: 'fast' }, /SIM_TIME_SCALE/],
      [
        { CONFIG_STORE: 'upstash', UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1' },
        /UPSTASH_REDIS_REST_TOKEN: required when CONFIG_STORE=upstash/,
      ],
      [{ DYNAMODB_ENDPOINT: 'not a url' }, /DYNAMODB_ENDPOINT/],
    ];
    for (const [env, message] of cases) expect(() => parseEnv(EvalEnv, env), JSON.stringify(env)).toThrow(message);
  });

  it('names the option in every usage error', () => {
    const cases: [string[], RegExp][] = [
      [[], /--configs is required/],
      [['--configs', 'a'], /--configs needs at least two/],
      [['--configs', 'a,a'], /--configs must name distinct/],
      [['--configs', 'a,b', '--concurrency', '0'], /--concurrency must be positive/],
      [['--configs', 'a,b', '--concurrency', 'many'], /--concurrency must be a number/],
      [['--configs', 'a,b', '--judge-weight', '2'], /--judge-weight must be in \[0, 1\]/],
      [['--configs', 'a,b', '--gateway', 'not a url'], /--gateway must be a URL/],
      [['--configs', 'a,b', '--run-id', 'a b'], /--run-id must be/],
      [['--configs', 'a,b', '--bogus'], /--bogus/],
      [['--configs', 'a,b', '--fresh=yes'], /--fresh/],
    ];
    for (const [argv, message] of cases) expect(parseEvalArgs(argv), argv.join(' ')).toMatch(message);
  });

  it('takes --fresh as a flag', () => {
    expect(parseEvalArgs(['--configs', 'a,b', '--fresh'])).toMatchObject({ fresh: true });
  });

  it('derives a stable run id from the dataset, the configurations and the gateway', () => {
    const id = defaultRunId('x/golden.jsonl', 'text', ['a', 'b']);
    expect(id).toMatch(/^golden-a\+b-[0-9a-f]{8}-embedded$/);
    expect(defaultRunId('x/golden.jsonl', 'text', ['a', 'b'])).toBe(id);
    expect(defaultRunId('x/golden.jsonl', 'other text', ['a', 'b'])).not.toBe(id);
    const remote = defaultRunId('x/golden.jsonl', 'text', ['a', 'b'], { gateway: 'http://127.0.0.1:8080' });
    expect(remote).toBe(id.replace(/embedded$/, '127.0.0.1_8080'));
    expect(defaultRunId('x/golden.jsonl', 'text', ['a', 'b'], { gateway: 'http://127.0.0.1:8080/' })).toBe(remote);
    expect(defaultRunId('x/golden.jsonl', 'text', ['a', 'b'], { gateway: 'http://127.0.0.1:8081' })).not.toBe(remote);
  });

  it('shortens a gateway URL to host, port and path, in run-id characters', () => {
    expect(gatewayTag(undefined)).toBe('embedded');
    expect(gatewayTag('https://gw.example.com')).toBe('gw.example.com');
    expect(gatewayTag('https://gw.example.com:443/prod/?x=1')).toBe('gw.example.com_prod');
    expect(gatewayTag('https://user:secret@gw.example.com/')).toBe('gw.example.com');
    const long = (path: string) => gatewayTag(`https://gateway.example.com/${path}`);
    const a = long('a'.repeat(80));
    expect(a.length).toBeLessThanOrEqual(48);
    expect(a).toMatch(/_[0-9a-f]{6}$/);
    expect(long(`${'a'.repeat(80)}b`)).not.toBe(a);
    for (const g of ['http://[::1]:8080/x%20y', 'https://gw.example.com', `https://gateway.example.com/${'z'.repeat(200)}`])
      expect(gatewayTag(g), g).toMatch(/^[A-Za-z0-9.][A-Za-z0-9._-]{0,47}$/);
  });

  it('appends the scoring options that differ from their defaults to the run id, and only those', () => {
    const id = defaultRunId('x/golden.jsonl', 'text', ['a', 'b']);
    const withScoring = (scoring: Parameters<typeof defaultRunId>[3]) => defaultRunId('x/golden.jsonl', 'text', ['a', 'b'], scoring);
    expect(withScoring({ gate: 0.75, judgeWeight: 0 })).toBe(id);
    expect(withScoring({ judgeWeight: 0.3 })).toBe(id);
    expect(withScoring({ gate: 0.8 })).toBe(`${id}-gate0.8`);
    expect(withScoring({ judge: 'c' })).toBe(`${id}-judge_c`);
    expect(withScoring({ judge: 'c', judgeWeight: 0.3, gate: 0.6 })).toBe(`${id}-judge_c-jw0.3-gate0.6`);
    expect(new Set([withScoring({ judge: 'c' }), withScoring({ judge: 'c', judgeWeight: 0.3 }), withScoring({ judge: 'd' })]).size).toBe(3);
  });
});
