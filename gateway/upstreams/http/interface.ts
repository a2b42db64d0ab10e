import type { CancelSignal } from '../../../lib/cancellation.ts';

/** An HTTP request to a model provider. */
export interface HttpRequest {
  /** Scheme, host and port, e.g. `https://bedrock-runtime.us-east-1.amazonaws.com`. */
  origin: string;
  /** Path and query, starting with `/`. */
  path: string;
  method: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: Uint8Array<ArrayBuffer>;
  signal: CancelSignal;
}

/** A provider's answer, read either whole or chunk by chunk as it arrives. */
export interface HttpResponse {
  status: number;
  /** A response header (lower-case name), or null. */
  header(name: string): string | null;
  /** The whole body. */
  bytes(): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * The next body chunk, or null at the end; rejects when the connection breaks or is aborted. A chunk is the
   * caller's once the read resolves: the transport never writes to it again (a whole answer of one chunk is passed on
   * as that chunk).
   */
  read(): Promise<Uint8Array | null>;
  /** Stops reading and releases the connection. */
  cancel(): void;
}

/** Sends HTTP requests; one per runtime (Web fetch, Node's undici). */
export type HttpTransport = (request: HttpRequest) => Promise<HttpResponse>;
