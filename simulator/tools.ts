import type { SimRequest } from './request.ts';
import { createRng } from './rng.ts';

/** A tool offered in a request: its name and the JSON schema of its input. */
export interface SimTool {
  name: string;
  schema: Record<string, unknown>;
}

/** A tool call the simulated model makes. */
export interface SimToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
}

/** A guardrail named by a Converse request's `guardrailConfig`. */
export interface SimGuardrail {
  identifier: string;
  version: string;
  /** `trace: enabled` (or `enabled_full`): the answer carries the guardrail's assessment. */
  trace: boolean;
}

/** The phrase (any case) that makes a guarded request's guardrail intervene. */
export const GUARDRAIL_TRIGGER = 'forbidden topic';
/** What the model says when its guardrail blocked the prompt. */
export const GUARDRAIL_MESSAGE = 'Sorry, I cannot help with that request.';

/**
 * The tool call a request gets, decided without randomness: none when no tool is offered or the last turn
 * carries tool results; otherwise the first tool every word of whose name (split at `_`, `-` and camel case)
 * occurs in the last user message (`track_order` for "where can I track my order 123?"). Its input fills each
 * property of the tool's schema from that message: strings with the first word that holds a digit (else the
 * last word), numbers with the first number standing on its own (else 1), booleans with true, enums with their first value.
 */
export function chooseToolCall(request: SimRequest, seed: number): SimToolCall | null {
  if (!request.tools.length || request.lastTurnIsToolResult) return null;
  const prompt = lastUserText(request).toLowerCase();
  const tool = request.tools.find((t) => nameWords(t.name).every((word) => prompt.includes(word)));
  if (!tool) return null;
  return { id: toolUseId(seed), name: tool.name, input: inputFor(tool.schema, lastUserText(request)) };
}

/** True when a request names a guardrail and its last user message holds the trigger phrase. */
export function guardrailIntervenes(request: SimRequest): boolean {
  return request.guardrail !== null && lastUserText(request).toLowerCase().includes(GUARDRAIL_TRIGGER);
}

/** The `trace` of an answer whose guardrail intervened, shaped as Bedrock's guardrail assessment. */
export function guardrailTrace(guardrail: SimGuardrail): Record<string, unknown> {
  const topic = { name: 'forbidden-topic', type: 'DENY', action: 'BLOCKED' };
  return { guardrail: { inputAssessment: { [guardrail.identifier]: { topicPolicy: { topics: [topic] } } } } };
}

function lastUserText(request: SimRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) if (request.messages[i]!.role === 'user') return request.messages[i]!.text;
  return '';
}

function nameWords(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[\s_\-.]+/)
    .filter(Boolean);
}

function inputFor(schema: Record<string, unknown>, prompt: string): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, { type?: unknown; enum?: unknown[] }>;
  const words = prompt.match(/[\w-]+/g) ?? [];
  const withDigit = words.find((w) => /\d/.test(w));
  const number = prompt.match(/(?<![\w-])-?\d+(?:\.\d+)?/)?.[0];
  const input: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    if (Array.isArray(property.enum) && property.enum.length) input[name] = property.enum[0];
    else if (property.type === 'string') input[name] = withDigit ?? words.at(-1) ?? '';
    else if (property.type === 'number' || property.type === 'integer') input[name] = number ? Number(number) : 1;
    else if (property.type === 'boolean') input[name] = true;
  }
  return input;
}

function toolUseId(seed: number): string {
  const rng = createRng(seed ^ 0x6c8e9cf5);
  let id = 'tooluse_';
  for (let i = 0; i < 3; i++)
    id += Math.floor(rng.next() * 0x100000000)
      .toString(36)
      .padStart(7, '0');
  return id;
}
