import { beforeAll, describe } from 'vitest';
import { initBucketing } from '../routing/bucket.ts';
import type { DataPlaneTarget } from './harness.ts';
import { streamedCases } from './streamed.cases.ts';
import { wholeCases } from './whole.cases.ts';

export type { DataPlaneTarget } from './harness.ts';

/**
 * The data plane's contract, in-process: every operation (Converse, ConverseStream, InvokeModel,
 * InvokeModelWithResponseStream, Chat Completions streamed and not, and translation both ways) driven
 * through the app with a scripted upstream, with the answer the client gets and the one observation written
 * for each ending. Runs against any build of the app: pass its factory and the fake upstream.
 */
export function dataPlaneContract(runtime: string, target: DataPlaneTarget): void {
  describe(`data-plane contract (${runtime})`, () => {
    beforeAll(() => initBucketing());
    describe('streamed answers', () => streamedCases(target));
    describe('whole answers', () => wholeCases(target));
  });
}
