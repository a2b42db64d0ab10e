import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { ChatEvent } from '../../canonical.ts';
import { converseUsageOf } from './converse-usage.ts';
import { exceptionFrame } from './events.ts';
import { utf8 } from '../../../lib/utf8.ts';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function frame(type: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: utf8(JSON.stringify(payload)),
  });
}

/**
 * Canonical events as ConverseStream frames: `messageStart`, content blocks numbered in order (text as
 * `contentBlockDelta` text, a tool call as `contentBlockStart` toolUse then `contentBlockDelta` toolUse input
 * pieces), each closed by `contentBlockStop` when the next begins, then `messageStop` and `metadata`.
 */
export function converseEventEncoder(): { encode(events: ChatEvent[]): Uint8Array | null } {
  let started = false;
  let nextBlock = 0;
  let open: { index: number; kind: 'text' | 'tool' } | null = null;
  const blockOfTool = new Map<number, number>();

  const close = (out: Uint8Array[]): void => {
    if (open) out.push(frame('contentBlockStop', { contentBlockIndex: open.index }));
    open = null;
  };
  const openBlock = (out: Uint8Array[], kind: 'text' | 'tool'): number => {
    close(out);
    open = { index: nextBlock++, kind };
    return open.index;
  };

  return {
    encode(events) {
      const out: Uint8Array[] = [];
      for (const event of events) {
        if (!started && event.type !== 'error' && event.type !== 'done') {
          out.push(frame('messageStart', { role: 'assistant' }));
          started = true;
        }
        if (event.type === 'text') {
          const index = open?.kind === 'text' ? open.index : openBlock(out, 'text');
          out.push(frame('contentBlockDelta', { contentBlockIndex: index, delta: { text: event.text } }));
        } else if (event.type === 'tool_start') {
          const index = openBlock(out, 'tool');
          blockOfTool.set(event.index, index);
          out.push(frame('contentBlockStart', { contentBlockIndex: index, start: { toolUse: { toolUseId: event.id, name: event.name } } }));
        } else if (event.type === 'tool_delta') {
          const index = blockOfTool.get(event.index);
          if (index !== undefined)
            out.push(frame('contentBlockDelta', { contentBlockIndex: index, delta: { toolUse: { input: event.json } } }));
        } else if (event.type === 'stop') {
          close(out);
          out.push(frame('messageStop', { stopReason: event.reason }));
        } else if (event.type === 'usage') {
          out.push(frame('metadata', { usage: converseUsageOf(event), metrics: { latencyMs: 0 } }));
        } else if (event.type === 'error') {
          out.push(exceptionFrame(event.errorType, event.message));
        }
      }
      return out.length ? Buffer.concat(out) : null;
    },
  };
}
