import { z } from 'zod';
import type { GatewayConfig, ModelConfig } from '../../../schema/config.ts';
import { withFields } from '../../../lib/fields.ts';
import { GatewayError } from '../../errors.ts';
import { parseJsonBody } from '../../json.ts';

const Message = z.looseObject({ role: z.string(), content: z.unknown() });

/** Converse: only what routing and configuration need; everything else passes through untouched. */
const ConverseBody = z.looseObject({
  messages: z.array(Message, { error: 'messages is required and must be an array' }).min(1, 'messages must not be empty'),
  system: z.array(z.unknown()).optional(),
  inferenceConfig: z.looseObject({}).optional(),
  requestMetadata: z.record(z.string(), z.string()).optional(),
});

/** Anthropic messages body used by invoke and invoke-with-response-stream. */
const InvokeBody = z.looseObject({
  messages: z.array(Message, { error: 'messages is required and must be an array' }).min(1, 'messages must not be empty'),
  system: z.union([z.string(), z.array(z.unknown())]).optional(),
});

export type BedrockBody = Record<string, unknown>;

/** The four Bedrock Runtime operations under `/model/{modelId}/`; nothing else exists there. */
export const BedrockOperation = z.enum(['converse', 'converse-stream', 'invoke', 'invoke-with-response-stream']);
export type BedrockOperation = z.infer<typeof BedrockOperation>;

/** Maps the last path segment to a Bedrock operation, or fails with 404 `UnknownOperationException` naming it. */
export function parseOperation(segment: string): BedrockOperation {
  const parsed = BedrockOperation.safeParse(segment);
  if (!parsed.success) {
    throw new GatewayError('unknown_operation', `unknown operation "${segment}": use one of ${BedrockOperation.options.join(', ')}`);
  }
  return parsed.data;
}

/** Parses and checks a request body for an operation; 400 with the problem named otherwise. */
export function parseBody(operation: BedrockOperation, text: string): BedrockBody {
  const raw = parseJsonBody(text);
  const schema = operation.startsWith('converse') ? ConverseBody : InvokeBody;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'body';
    throw new GatewayError('invalid_request', `${where}: ${issue?.message ?? 'invalid request body'}`);
  }
  return parsed.data as BedrockBody;
}

/** Intent and session id from Converse `requestMetadata`, else from the `x-intent` / `x-session-id` headers. */
export function routingInputs(body: BedrockBody, headers: Headers): { intent: string | null; sessionId: string | null } {
  const meta = (body.requestMetadata ?? {}) as Record<string, string>;
  return {
    intent: meta.intent || headers.get('x-intent') || null,
    sessionId: meta.session_id || headers.get('x-session-id') || null,
  };
}

/**
 * Applies a configuration's settings to a request: its inference settings replace the client's, and
 * its system prompt goes before the client's own.
 */
export function applyConfig(operation: BedrockOperation, body: BedrockBody, config: ModelConfig, cfg: GatewayConfig): BedrockBody {
  const prompt = config.systemPromptVersion ? cfg.systemPrompts[config.systemPromptVersion] : undefined;
  if (operation.startsWith('converse')) {
    const inference: Record<string, unknown> = withFields((body.inferenceConfig as object | undefined) ?? {}, {
      maxTokens: config.maxTokens,
    });
    if (config.temperature !== undefined) inference.temperature = config.temperature;
    if (config.topP !== undefined) inference.topP = config.topP;
    const system = (body.system as unknown[] | undefined) ?? [];
    return withFields(
      body,
      prompt ? { inferenceConfig: inference, system: [{ text: prompt }, ...system] } : { inferenceConfig: inference },
    );
  }
  const out: BedrockBody = { anthropic_version: 'bedrock-2023-05-31', ...body, max_tokens: config.maxTokens };
  if (config.temperature !== undefined) out.temperature = config.temperature;
  if (config.topP !== undefined) out.top_p = config.topP;
  if (prompt) {
    const own = body.system;
    out.system =
      own === undefined
        ? prompt
        : typeof own === 'string'
          ? `${prompt}\n\n${own}`
          : [{ type: 'text', text: prompt }, ...(own as unknown[])];
  }
  return out;
}
