import { describe, expect, it } from 'vitest';
import { missingSecrets } from './deploy.ts';

describe('deploy:edge secret check', () => {
  it('names every missing required secret', () => {
    expect(missingSecrets(new Set())).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
  });
  it('names the missing half of the Upstash pair, and passes when all are set', () => {
    const base = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
    expect(missingSecrets(new Set([...base, 'UPSTASH_REDIS_REST_URL']))).toEqual(['UPSTASH_REDIS_REST_TOKEN']);
    expect(missingSecrets(new Set(base))).toEqual([]);
  });
});
