import { expect, it, vi } from 'vitest';
import { createRng } from '../../../simulator/rng.ts';
import { randomEventData } from './pass-through-harness.ts';

// The stream scan reads bytes as single-byte text: with Node's Buffer on Node, with TextDecoder's windows-1252 elsewhere
// (Workers, whose Buffer has no pool). Both builds of the module, one imported without Buffer, must find the same starts.
const onNode = await import('./pass-through.ts');
vi.stubGlobal('Buffer', undefined);
vi.resetModules();
const withoutBuffer = await import('./pass-through.ts');
vi.unstubAllGlobals();

it('imports a second build of the module', () => expect(withoutBuffer).not.toBe(onNode));

const encoder = new TextEncoder();
/** Characters whose UTF-8 bytes read differently as latin1 and as windows-1252 (0x80-0x9f among them). */
const NON_ASCII = ['€', '\u0085', '😀', 'é'];

it('finds the same metered starts with and without Buffer, non-ASCII bytes included', () => {
  const rng = createRng(5);
  let found = 0;
  for (let n = 0; n < 3_000; n++) {
    const data = `${randomEventData(rng)}${NON_ASCII[rng.int(NON_ASCII.length)]}${randomEventData(rng)}`;
    const bytes = encoder.encode(`data: ${data}\n\ndata: {"finish_reason" : "stop"}\n\n`);
    const starts = onNode.meteredStarts(bytes);
    expect(starts).not.toBeNull();
    expect(withoutBuffer.meteredStarts(bytes)).toEqual(starts);
    found += starts!.length;
  }
  expect(found).toBeGreaterThan(3_000);
});
