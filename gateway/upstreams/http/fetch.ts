import type { HttpRequest, HttpResponse, HttpTransport } from './interface.ts';
import type { CancelSignal } from '../../../lib/cancellation.ts';

/** Transport over the runtime's `fetch` (any runtime). */
export function fetchTransport(doFetch: typeof fetch = fetch): HttpTransport {
  return async (request: HttpRequest): Promise<HttpResponse> => {
    const response = await doFetch(`${request.origin}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: abortSignalOf(request.signal),
      // An upstream's redirect is its answer (a 502 for the client), as with undici; never followed.
      redirect: 'manual',
    });
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    const release = (): void => {
      void (reader ? reader.cancel() : response.body?.cancel())?.catch(() => {});
    };
    // Some runtimes (workerd) do not fail a body read that is already waiting when the signal aborts after the
    // headers came; every read races the abort, so a cut or a client that went away ends a stalled read at once.
    const aborted = new Promise<never>((_, reject) => {
      const stop = (): void => {
        reject(request.signal.reason ?? new Error('request aborted'));
        release();
      };
      if (request.signal.aborted) stop();
      else request.signal.addEventListener('abort', stop, { once: true });
    });
    aborted.catch(() => {});
    return {
      status: response.status,
      header: (name) => response.headers.get(name),
      bytes: async () => new Uint8Array(await Promise.race([response.arrayBuffer(), aborted])),
      async read() {
        reader ??= (response.body as ReadableStream<Uint8Array>).getReader();
        const { done, value } = await Promise.race([reader.read(), aborted]);
        return done ? null : value;
      },
      cancel: release,
    };
  };
}

/** `fetch` takes only a real AbortSignal: one that follows the request's cancellation, unless it is one already. */
function abortSignalOf(signal: CancelSignal): AbortSignal {
  if (signal instanceof AbortSignal) return signal;
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller.signal;
}
