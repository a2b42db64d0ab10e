import type { HttpRequest, HttpResponse, HttpTransport } from './interface.ts';

/** Transport over the runtime's `fetch` (any runtime). */
export function fetchTransport(doFetch: typeof fetch = fetch): HttpTransport {
  return async (request: HttpRequest): Promise<HttpResponse> => {
    const response = await doFetch(`${request.origin}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: request.signal,
    });
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return {
      status: response.status,
      header: (name) => response.headers.get(name),
      bytes: async () => new Uint8Array(await response.arrayBuffer()),
      async read() {
        reader ??= (response.body as ReadableStream<Uint8Array>).getReader();
        const { done, value } = await reader.read();
        return done ? null : value;
      },
      cancel() {
        void (reader ? reader.cancel() : response.body?.cancel())?.catch(() => {});
      },
    };
  };
}
