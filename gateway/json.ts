import { parseBoundedJson } from '../lib/json-depth.ts';
import { GatewayError } from './errors.ts';

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

/**
 * Parses a request body: 400 `json_too_deep` when objects and arrays nest past `MAX_JSON_DEPTH` (checked before
 * anything recurses over the body), 400 `malformed_json` when it is not JSON.
 */
export function parseJsonBody(text: string): unknown {
  const parsed = parseBoundedJson(text);
  if (parsed.ok) return parsed.value;
  throw new GatewayError(parsed.problem === 'too_deep' ? 'json_too_deep' : 'malformed_json', parsed.message);
}
