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
      const total = uint32(buffer, 0);
      const headersLength = uint32(buffer, 4);
      const preludeCrc = crc32(buffer, 0, 8);
      if (preludeCrc !== uint32(buffer, 8)) {
        throw new MalformedUpstream('event-stream frame prelude fails its CRC');
      }
      if (total < 16 || total > MAX_FRAME || headersLength > total - 16) {
        throw new MalformedUpstream(`event-stream frame with impossible lengths (length ${total}, headers ${headersLength})`);
      }
      if (buffer.length < total) break;
      if (crc32(buffer, 8, total - 4, preludeCrc) !== uint32(buffer, total - 4)) {
        throw new MalformedUpstream('event-stream frame fails its CRC');
      }
      const payload = buffer.subarray(12 + headersLength, total - 4);
      frames.push({ headers: readHeaders(buffer, 12, 12 + headersLength), payload });
      buffer = buffer.subarray(total);
    }
    this.whole = buffer.length ? bytes.subarray(0, bytes.length - buffer.length) : bytes;
    this.pending = buffer.length ? buffer.slice() : EMPTY;
    return frames;
  }

  /** Bytes of a frame not yet whole; at the end of a stream they mean it was truncated. */
  get pendingBytes(): number {
    return this.pending.length;
  }
}

const EMPTY = new Uint8Array(0);

/** A big-endian unsigned 32-bit integer (no DataView per frame). */
function uint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Header names read, as bytes, so that names are compared without decoding them. */
const WANTED = [':event-type', ':message-type', ':exception-type', ':error-code'].map((name) => ({
  name,
  bytes: Uint8Array.from(name, (ch) => ch.charCodeAt(0)),
}));

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
        const name = wantedName(bytes, nameStart, nameLength);
        if (name) headers[name] = ascii(bytes, at + 2, at + 2 + length);
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

/** The wanted header name at `at`, or null; a plain loop, as it runs for every header of every frame. */
function wantedName(bytes: Uint8Array, at: number, length: number): string | null {
  for (let w = 0; w < WANTED.length; w++) {
    const wanted = WANTED[w]!.bytes;
    if (wanted.length !== length) continue;
    let i = 0;
    while (i < length && bytes[at + i] === wanted[i]) i++;
    if (i === length) return WANTED[w]!.name;
  }
  return null;
}

/** Header values seen so far (event and exception types: a small set), so that each frame reuses their strings. */
const VALUES = new Map<number, string>();

/** Header values of interest are short ASCII words, interned by hash; anything else goes through the UTF-8 decoder. */
function ascii(bytes: Uint8Array, start: number, end: number): string {
  if (end - start > 64) return utf8.decode(bytes.subarray(start, end));
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  const known = VALUES.get(hash);
  if (known !== undefined && sameAscii(known, bytes, start, end)) return known;
  let out = '';
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte > 127) return utf8.decode(bytes.subarray(start, end));
    out += String.fromCharCode(byte);
  }
  if (VALUES.size < 256) VALUES.set(hash, out);
  return out;
}

function sameAscii(value: string, bytes: Uint8Array, start: number, end: number): boolean {
  if (value.length !== end - start) return false;
  for (let i = start; i < end; i++) if (value.charCodeAt(i - start) !== bytes[i]) return false;
  return true;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
