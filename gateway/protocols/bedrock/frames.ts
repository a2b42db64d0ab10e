import { MalformedUpstream } from '../../stream/interface.ts';
import { crc32 } from './crc32.ts';

/** One AWS event-stream frame: the string headers that matter, and its payload (not copied). */
export interface Frame {
  headers: Record<string, string>;
  payload: Uint8Array;
}

const utf8 = new TextDecoder();
/** Byte size of the value of each non-string header type (RFC-less AWS event-stream encoding). */
const FIXED_SIZE: Record<number, number> = { 0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16 };

/** Largest frame accepted (the event-stream format's own limit is 16 MiB). */
const MAX_FRAME = 16 * 1024 * 1024;

/**
 * Splits event-stream bytes into whole frames as they arrive and checks each one (lengths, prelude CRC,
 * message CRC), so that only whole, intact frames reach the client. Payloads are not copied; only string
 * headers are read (`:event-type`, `:message-type`, `:exception-type`, `:error-code`).
 */
export class FrameSplitter {
  private pending: Uint8Array = new Uint8Array(0);
  /** The bytes of the frames the last `push` returned, as one view (no copy); empty when none. */
  whole: Uint8Array = this.pending;

  /** Whole frames completed by `chunk`; throws `MalformedUpstream` at the first corrupt frame. */
  push(chunk: Uint8Array): Frame[] {
    const bytes = this.pending.length ? concat(this.pending, chunk) : chunk;
    let buffer = bytes;
    const frames: Frame[] = [];
    while (buffer.length >= 12) {
      const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
      const total = view.getUint32(0, false);
      const headersLength = view.getUint32(4, false);
      const preludeCrc = crc32(buffer, 0, 8);
      if (preludeCrc !== view.getUint32(8, false)) {
        throw new MalformedUpstream('event-stream frame prelude fails its CRC');
      }
      if (total < 16 || total > MAX_FRAME || headersLength > total - 16) {
        throw new MalformedUpstream(`event-stream frame with impossible lengths (length ${total}, headers ${headersLength})`);
      }
      if (buffer.length < total) break;
      if (crc32(buffer, 8, total - 4, preludeCrc) !== view.getUint32(total - 4, false)) {
        throw new MalformedUpstream('event-stream frame fails its CRC');
      }
      const payload = buffer.subarray(12 + headersLength, total - 4);
      frames.push({ headers: readHeaders(buffer, 12, 12 + headersLength), payload });
      buffer = buffer.subarray(total);
    }
    this.whole = bytes.subarray(0, bytes.length - buffer.length);
    this.pending = buffer.length ? buffer.slice() : EMPTY;
    return frames;
  }

  /** Bytes of a frame not yet whole; at the end of a stream they mean it was truncated. */
  get pendingBytes(): number {
    return this.pending.length;
  }
}

const EMPTY = new Uint8Array(0);

/** Header names read, as bytes, so that names are compared without decoding them. */
const WANTED = [':event-type', ':message-type', ':exception-type', ':error-code'].map((name) => ({ name, bytes: Uint8Array.from(name, (ch) => ch.charCodeAt(0)) }));

function readHeaders(bytes: Uint8Array, start: number, end: number): Record<string, string> {
  const headers: Record<string, string> = {};
  let at = start;
  while (at < end) {
    const nameLength = bytes[at]!;
    const nameStart = at + 1;
    at = nameStart + nameLength;
    const type = bytes[at]!;
    at += 1;
    if (type === 6 || type === 7) {
      const length = (bytes[at]! << 8) | bytes[at + 1]!;
      if (type === 7) {
        const wanted = WANTED.find((w) => w.bytes.length === nameLength && startsWith(bytes, nameStart, w.bytes));
        if (wanted) headers[wanted.name] = ascii(bytes, at + 2, at + 2 + length);
      }
      at += 2 + length;
    } else {
      const size = FIXED_SIZE[type];
      if (size === undefined) throw new MalformedUpstream(`unknown event-stream header type ${type}`);
      at += size;
    }
  }
  return headers;
}

function startsWith(bytes: Uint8Array, at: number, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

/** Header values of interest are short ASCII words; anything else goes through the UTF-8 decoder. */
function ascii(bytes: Uint8Array, start: number, end: number): string {
  if (end - start > 64) return utf8.decode(bytes.subarray(start, end));
  let out = '';
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte > 127) return utf8.decode(bytes.subarray(start, end));
    out += String.fromCharCode(byte);
  }
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
