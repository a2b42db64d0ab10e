/**
 * Preloaded into the Portkey process (`node --import`). Portkey 1.15.2 streams an OpenAI-compatible answer
 * by appending its `x-portkey-*` headers to the upstream `fetch` response, whose headers are immutable; with
 * the `@hono/node-server` it ships (1.19) every streamed chat completion then fails with
 * `TypeError: immutable` and a 500 (Portkey-AI/gateway issues #1389 and #1550, pull requests #1390, #1551).
 * Here `fetch` hands back the same response with headers of its own (body stream untouched), which is
 * what those fixes do. It costs one object per upstream call; nothing else changes.
 */
const nativeFetch = globalThis.fetch;

globalThis.fetch = async function fetchWithOwnHeaders(input, init) {
  const response = await nativeFetch(input, init);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: new Headers(response.headers) });
};
