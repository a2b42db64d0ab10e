import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsDeeperThan, parseBoundedJson } from './json-depth.ts';

/** `depth` nested arrays around a value. */
function nested(depth: number, inner = '1'): string {
  return `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
}

describe('nestsDeeperThan', () => {
  it('counts objects and arrays alike, up to and past the limit', () => {
    expect(nestsDeeperThan(nested(3), 3)).toBe(false);
    expect(nestsDeeperThan(nested(4), 3)).toBe(true);
    expect(nestsDeeperThan('{"a":{"b":[{"c":1}]}}', 4)).toBe(false);
    expect(nestsDeeperThan('{"a":{"b":[{"c":1}]}}', 3)).toBe(true);
  });

  it('counts depth, not the number of brackets', () => {
    const wide = `[${Array.from({ length: 1000 }, () => '[[1]]').join(',')}]`;
    expect(nestsDeeperThan(wide, 3)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(JSON.stringify({ text: '[[[[[[{{{{{{' }), 1)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify({ text: 'say \\"[[[[\\" and "[[[["' }), 1)).toBe(false);
    expect(nestsDeeperThan(`{"a\\\\":${nested(3)}}`, 3)).toBe(true);
  });
});

describe('parseBoundedJson', () => {
  it('parses a body at the limit', () => {
    const result = parseBoundedJson(nested(MAX_JSON_DEPTH - 1, '{}'));
    expect(result.ok).toBe(true);
  });

  it('refuses 10,000 levels with a message naming the limit, before parsing', () => {
    const result = parseBoundedJson(`{"messages":${nested(10_000)}}`);
    const message = `request body nests objects and arrays deeper than the limit of ${MAX_JSON_DEPTH} levels`;
    expect(result).toEqual({ ok: false, problem: 'too_deep', message });
  });

  it('says when the text is not JSON', () => {
    const result = parseBoundedJson('{"messages": [');
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problem).toBe('malformed');
    expect(result.ok ? '' : result.message).toMatch(/^request body is not valid JSON: /);
  });
});
