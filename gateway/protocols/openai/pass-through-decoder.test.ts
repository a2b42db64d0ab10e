import { expect, it, vi } from 'vitest';
import { createRng } from '../../../simulator/rng.ts';

// The stream scan reads bytes as single-byte text: with Buffer on Node, with TextDecoder's windows-1252 elsewhere
// (Workers). Both builds of the module, one imported without Buffer, must find the same starts.
const onNode = await import('./pass-through.ts');
vi.stubGlobal('Buffer', undefined);
vi.resetModules();
const withoutBuffer = await import('./pass-through.ts');
vi.unstubAllGlobals();

it('imports a second build of the module', () => expect(withoutBuffer).not.toBe(onNode));

const encoder = new TextEncoder();
const PIECES = [
  '"usage"',
  '"finish_reason"',
  '"error"',
  ':',
  ' ',
  '\t',
  '{',
  '"',
  'null',
  '"stop"',
  'é',
  '\u0085',
  '\u00a0',
  '€',
  '😀',
  'x',
  ',',
  '"content":"hi"',
];

it('finds the same metered starts with and without Buffer, non-ASCII bytes included', () => {
  const rng = createRng(5);
  let found = 0;
  for (let n = 0; n < 3_000; n++) {
    const data = Array.from({ length: 4 + rng.int(20) }, () => PIECES[rng.int(PIECES.length)]).join('');
    const bytes = encoder.encode(`data: ${data}\n\ndata: {"finish_reason" : "stop"}\n\n`);
    const starts = onNode.meteredStarts(bytes);
    expect(starts).not.toBeNull();
    expect(withoutBuffer.meteredStarts(bytes)).toEqual(starts);
    found += starts!.length;
  }
  expect(found).toBeGreaterThan(3_000);
});
