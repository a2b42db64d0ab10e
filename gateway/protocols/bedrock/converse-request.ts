import type { ChatMessage, ChatRequest, ContentPart, ToolChoice, ToolSpec } from '../../canonical.ts';
import { GatewayError } from '../../errors.ts';
import type { BedrockBody } from './request.ts';
import { utf8 } from '../../../lib/utf8.ts';

type Block = Record<string, unknown>;

const refuse = (message: string): never => {
  throw new GatewayError('invalid_request', message);
};

const CACHE_POINT: Block = { cachePoint: { type: 'default' } };

const isCachePoint = (block: unknown): boolean => typeof block === 'object' && block !== null && 'cachePoint' in block;

/**
 * Converse body to the canonical call. Text, `toolUse` and `toolResult` blocks and `toolConfig` are translated;
 * a `cachePoint` block becomes a cache point after its message (or after the system prompt); images, documents and
 * any other block are refused.
 */
export function converseToChat(body: BedrockBody): ChatRequest {
  const messages = (body.messages as { role: string; content: unknown }[]).map((m, i): ChatMessage => {
    if (m.role !== 'user' && m.role !== 'assistant') refuse(`messages.${i}.role must be user or assistant`);
    if (!Array.isArray(m.content)) refuse(`messages.${i}.content must be an array of content blocks`);
    const blocks = m.content as Block[];
    const content = blocks.flatMap((block, j) => partsOf(block, `messages.${i}.content.${j}`));
    return { role: m.role as ChatMessage['role'], content, ...(blocks.some(isCachePoint) ? { cachePoint: true } : {}) };
  });
  const systemBlocks = (body.system as Block[] | undefined) ?? [];
  const system = systemBlocks.flatMap((b, i) => {
    if (typeof b.text === 'string') return [b.text];
    if (isCachePoint(b)) return [];
    return refuse(`system.${i}: only text system blocks can be translated`);
  });
  const inference = (body.inferenceConfig ?? {}) as { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  return {
    system,
    ...(systemBlocks.some(isCachePoint) ? { systemCachePoint: true } : {}),
    messages,
    ...toolsOf(body.toolConfig),
    maxTokens: inference.maxTokens,
    temperature: inference.temperature,
    topP: inference.topP,
    stop: inference.stopSequences,
    metadata: body.requestMetadata as Record<string, string> | undefined,
  };
}

function partsOf(block: Block, where: string): ContentPart[] {
  if (typeof block.text === 'string') return [{ type: 'text', text: block.text }];
  if (isCachePoint(block)) return [];
  const use = block.toolUse as { toolUseId?: unknown; name?: unknown; input?: unknown } | undefined;
  if (use) {
    if (typeof use.toolUseId !== 'string' || typeof use.name !== 'string') refuse(`${where}.toolUse needs a toolUseId and a name`);
    const input = use.input ?? {};
    if (typeof input !== 'object' || Array.isArray(input) || input === null) refuse(`${where}.toolUse.input must be a JSON object`);
    return [{ type: 'tool_call', id: use.toolUseId as string, name: use.name as string, input: input as Record<string, unknown> }];
  }
  const result = block.toolResult as { toolUseId?: unknown; content?: unknown; status?: unknown } | undefined;
  if (result) {
    if (typeof result.toolUseId !== 'string') refuse(`${where}.toolResult needs a toolUseId`);
    const content = Array.isArray(result.content) ? (result.content as Block[]) : [];
    const text = content
      .map((c, k) => {
        if (typeof c.text === 'string') return c.text;
        if (c.json !== undefined) return JSON.stringify(c.json);
        return refuse(`${where}.toolResult.content.${k}: only text and json tool results can be translated`);
      })
      .join('');
    return [{ type: 'tool_result', toolCallId: result.toolUseId as string, text, ...(result.status === 'error' ? { isError: true } : {}) }];
  }
  const kind = Object.keys(block)[0] ?? 'unknown';
  return refuse(
    `${where}: "${kind}" blocks cannot be translated for this configuration's provider; only text, toolUse and toolResult are (route this call to a Bedrock configuration to keep them)`,
  );
}

function toolsOf(toolConfig: unknown): { tools?: ToolSpec[]; toolChoice?: ToolChoice } {
  if (toolConfig === undefined) return {};
  const config = toolConfig as { tools?: unknown; toolChoice?: Record<string, unknown> };
  if (!Array.isArray(config.tools) || config.tools.length === 0) refuse('toolConfig.tools must be a non-empty array');
  const tools = (config.tools as Block[]).map((tool, i): ToolSpec => {
    const spec = tool.toolSpec as { name?: unknown; description?: unknown; inputSchema?: { json?: unknown } } | undefined;
    if (!spec) refuse(`toolConfig.tools.${i}: only toolSpec tools can be translated (not ${Object.keys(tool)[0] ?? 'an empty tool'})`);
    if (typeof spec!.name !== 'string' || !spec!.name) refuse(`toolConfig.tools.${i}.toolSpec.name is required`);
    const json = spec!.inputSchema?.json;
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      refuse(`toolConfig.tools.${i}.toolSpec.inputSchema.json must be a JSON schema object`);
    return {
      name: spec!.name as string,
      ...(typeof spec!.description === 'string' ? { description: spec!.description } : {}),
      parameters: json as Record<string, unknown>,
    };
  });
  const choice = config.toolChoice;
  if (!choice || choice.auto) return { tools };
  if (choice.any) return { tools, toolChoice: { type: 'any' } };
  const named = (choice.tool as { name?: unknown } | undefined)?.name;
  if (typeof named === 'string') return { tools, toolChoice: { type: 'tool', name: named } };
  return refuse('toolConfig.toolChoice must be {auto: {}}, {any: {}} or {tool: {name}}');
}

/** The Converse body of a canonical call (model id in the path, not the body). */
export function encodeConverseRequest(request: ChatRequest): Uint8Array<ArrayBuffer> {
  const inferenceConfig: Record<string, unknown> = {};
  if (request.maxTokens !== undefined) inferenceConfig.maxTokens = request.maxTokens;
  if (request.temperature !== undefined) inferenceConfig.temperature = request.temperature;
  if (request.topP !== undefined) inferenceConfig.topP = request.topP;
  if (request.stop?.length) inferenceConfig.stopSequences = request.stop;
  const system: Block[] = request.system.map((text) => ({ text }));
  if (request.systemCachePoint && system.length) system.push(CACHE_POINT);
  const body = {
    messages: request.messages.map((m) => ({ role: m.role, content: m.cachePoint ? [...blocksOf(m), CACHE_POINT] : blocksOf(m) })),
    ...(system.length ? { system } : {}),
    inferenceConfig,
    ...(request.tools?.length ? { toolConfig: toolConfigOf(request.tools, request.toolChoice) } : {}),
    ...(request.metadata ? { requestMetadata: request.metadata } : {}),
  };
  return utf8(JSON.stringify(body));
}

/** A message's Converse blocks; empty text beside tool blocks is left out (Converse refuses blank text). */
function blocksOf(message: ChatMessage): Block[] {
  const blocks = message.content.flatMap((part): Block[] => {
    if (part.type === 'text') return part.text || message.content.length === 1 ? [{ text: part.text }] : [];
    if (part.type === 'tool_call') return [{ toolUse: { toolUseId: part.id, name: part.name, input: part.input } }];
    const result = { toolUseId: part.toolCallId, content: [{ text: part.text }], ...(part.isError ? { status: 'error' } : {}) };
    return [{ toolResult: result }];
  });
  return blocks.length ? blocks : [{ text: '' }];
}

function toolConfigOf(tools: ToolSpec[], choice: ToolChoice | undefined): Block {
  const specs = tools.map((t) => ({
    toolSpec: { name: t.name, ...(t.description ? { description: t.description } : {}), inputSchema: { json: t.parameters } },
  }));
  if (!choice) return { tools: specs };
  const toolChoice = choice.type === 'auto' ? { auto: {} } : choice.type === 'any' ? { any: {} } : { tool: { name: choice.name } };
  return { tools: specs, toolChoice };
}
