const decoder = new TextDecoder();

/** Parses UTF-8 JSON bytes into an object, or undefined when they are not a JSON object. Never throws. */
export function safeJson(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
