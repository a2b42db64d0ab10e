import type { Upstream } from '../../schema/config.ts';
import type { Operation } from '../../schema/observation.ts';
import type { ChatEvent } from '../canonical.ts';
import { upstreamCodecs } from '../protocols/codecs.ts';

/** Largest prompt or answer text kept for a shadowed pair; longer ones are cut here. */
export const MAX_TEXT_CHARS = 16_384;

/**
 * The text of the last user message of a request body in any client protocol: Converse (`content: [{text}]`),
 * Chat Completions (`content` a string or parts) or an Anthropic `invoke` body (`content: [{type: 'text', text}]`).
 * Null when the body has none.
 */
export function promptOf(body: string): string | null {
  let json: { messages?: unknown };
  try {
    json = JSON.parse(body) as { messages?: unknown };
  } catch {
    return null;
  }
  if (!Array.isArray(json.messages)) return null;
  const users = json.messages.filter((m): m is { content: unknown } => (m as { role?: unknown })?.role === 'user');
  const last = users.at(-1);
  if (!last) return null;
  const content = last.content;
  if (typeof content === 'string') return content.slice(0, MAX_TEXT_CHARS);
  if (!Array.isArray(content)) return null;
  const text = content
    .map((part) => (typeof (part as { text?: unknown })?.text === 'string' ? (part as { text: string }).text : ''))
    .join('');
  return text.slice(0, MAX_TEXT_CHARS);
}

/** Collects the upstream bytes of one answer, up to a cap; past it the answer is not kept (a partial one cannot be decoded). */
export class AnswerCapture {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  overflowed = false;

  constructor(private readonly maxBytes: number) {}

  readonly tap = (chunk: Uint8Array): void => {
    if (this.overflowed) return;
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.overflowed = true;
      this.chunks.length = 0;
      return;
    }
    // A copy of the bytes (a Buffer's own `slice` would be a view): the chunk also goes to the client.
    this.chunks.push(Uint8Array.prototype.slice.call(chunk));
  };

  bytes(): Uint8Array | null {
    if (this.overflowed) return null;
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

/**
 * The answer text of captured upstream bytes: Converse answers of a Bedrock configuration and Chat Completions
 * answers of an OpenAI-compatible one, whole or streamed, decoded with the upstream codecs. Null for an `invoke`
 * answer (an Anthropic body) or bytes that do not decode.
 */
export function answerTextOf(bytes: Uint8Array | null, provider: Upstream['provider'], operation: Operation): string | null {
  if (!bytes || (provider === 'bedrock' && operation.startsWith('invoke'))) return null;
  const codec = upstreamCodecs[provider];
  try {
    if (operation.endsWith('stream')) {
      const decoder = codec.decoder();
      const events: ChatEvent[] = [...decoder.push(bytes), ...decoder.end()];
      return textOfEvents(events);
    }
    const json = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    return codec.decode(json, () => null).text.slice(0, MAX_TEXT_CHARS);
  } catch {
    return null;
  }
}

function textOfEvents(events: ChatEvent[]): string | null {
  if (events.some((e) => e.type === 'error')) return null;
  let text = '';
  for (const e of events) if (e.type === 'text') text += e.text;
  return text.slice(0, MAX_TEXT_CHARS);
}
