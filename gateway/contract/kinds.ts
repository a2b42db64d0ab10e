import type { Operation } from '../../schema/observation.ts';
import { chatBody, chatErrorEvent, chatStream, converseBody, converseStream, exceptionEvent, invokeBody, invokeStream } from './answers.ts';
import type { Harness } from './harness.ts';
import type { Script, Step } from './scripted-upstream.ts';

type Protocol = 'bedrock' | 'openai';

/** One way a streamed answer can go: the client's call, the upstream's script, and what the client speaks. */
export interface StreamKind {
  name: string;
  operation: Operation;
  client: Protocol;
  send(h: Harness, signal?: AbortSignal): Promise<Response>;
  /** A whole answer, one unit (frame or event) per step. */
  units(): Step[];
  /** The upstream's own error unit (a throttling error). */
  errorUnit: Step;
  /** A unit that is no valid unit of the upstream's protocol. */
  corruptUnit(): Step;
  /** Tokens the upstream had reported in the first three units: what a cut-short answer may record. */
  usageAfterThree: { inputTokens: number; outputTokens: number };
}

const NONE = { inputTokens: 0, outputTokens: 0 };
const bedrockUnits = {
  errorUnit: exceptionEvent('throttlingException', 'slow down'),
  corruptUnit: () => {
    const frame = converseStream()[1]!.slice();
    frame[frame.length - 6]! ^= 0xff;
    return frame;
  },
};
const chatUnits = { errorUnit: chatErrorEvent('rate_limit_error', 'slow down'), corruptUnit: () => 'data: <html>bad gateway</html>\n\n' };

const withUsage = { stream_options: { include_usage: true } };

/** Every streamed operation, passed through and translated both ways. */
export const STREAM_KINDS: StreamKind[] = [
  {
    name: 'converse-stream, passed through',
    operation: 'converse-stream',
    client: 'bedrock',
    send: (h, s) => h.bedrock('r-bed', 'converse-stream', s),
    units: converseStream,
    ...bedrockUnits,
    usageAfterThree: NONE,
  },
  {
    name: 'invoke-with-response-stream, passed through',
    operation: 'invoke-with-response-stream',
    client: 'bedrock',
    send: (h, s) => h.bedrock('r-bed', 'invoke-with-response-stream', s),
    units: invokeStream,
    ...bedrockUnits,
    usageAfterThree: { inputTokens: 21, outputTokens: 0 },
  },
  {
    name: 'chat-completions-stream, passed through',
    operation: 'chat-completions-stream',
    client: 'openai',
    send: (h, s) => h.chat('r-oai', true, withUsage, s),
    units: chatStream,
    ...chatUnits,
    usageAfterThree: NONE,
  },
  {
    name: 'chat-completions-stream translated to a Bedrock ConverseStream',
    operation: 'chat-completions-stream',
    client: 'openai',
    send: (h, s) => h.chat('r-bed', true, withUsage, s),
    units: converseStream,
    ...bedrockUnits,
    usageAfterThree: NONE,
  },
  {
    name: 'converse-stream translated to an OpenAI-compatible stream',
    operation: 'converse-stream',
    client: 'bedrock',
    send: (h, s) => h.bedrock('r-oai', 'converse-stream', s),
    units: chatStream,
    ...chatUnits,
    usageAfterThree: NONE,
  },
];

/** One way a whole answer can go. */
export interface WholeKind {
  name: string;
  operation: Operation;
  client: Protocol;
  send(h: Harness, signal?: AbortSignal): Promise<Response>;
  /** The upstream's whole answer. */
  body: string;
  /** The upstream's throttling answer in its own protocol. */
  throttled: Script;
  /** The client's text of a whole answer, read from the body it got. */
  textOf(json: unknown): unknown;
}

const bedrockThrottled: Script = {
  status: 429,
  headers: { 'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/' },
  body: ['{"message":"slow down"}'],
};
const chatThrottled: Script = {
  status: 429,
  headers: { 'content-type': 'application/json' },
  body: ['{"error":{"message":"slow down","type":"rate_limit_error","code":null}}'],
};
/** The value at a path of keys and indexes, or undefined. */
const at = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string | number, unknown>)[key] : undefined), value);
const converseText = (json: unknown): unknown => at(json, 'output', 'message', 'content', 0, 'text');
const chatText = (json: unknown): unknown => at(json, 'choices', 0, 'message', 'content');

/** Every non-streamed operation, passed through and translated both ways. */
export const WHOLE_KINDS: WholeKind[] = [
  {
    name: 'converse, passed through',
    operation: 'converse',
    client: 'bedrock',
    send: (h, s) => h.bedrock('r-bed', 'converse', s),
    body: converseBody,
    throttled: bedrockThrottled,
    textOf: converseText,
  },
  {
    name: 'invoke, passed through',
    operation: 'invoke',
    client: 'bedrock',
    send: (h, s) => h.bedrock('r-bed', 'invoke', s),
    body: invokeBody,
    throttled: bedrockThrottled,
    textOf: (json) => at(json, 'content', 0, 'text'),
  },
  {
    name: 'chat-completions, passed through',
    operation: 'chat-completions',
    client: 'openai',
    send: (h, s) => h.chat('r-oai', false, {}, s),
    body: chatBody,
    throttled: chatThrottled,
    textOf: chatText,
  },
  {
    name: 'chat-completions translated to Bedrock Converse',
    operation: 'chat-completions',
    client: 'openai',
    send: (h, s) => h.chat('r-bed', false, {}, s),
    body: converseBody,
    throttled: bedrockThrottled,
    textOf: chatText,
  },
  {
    name: 'converse translated to an OpenAI-compatible answer',
    operation: 'converse',
    client: 'bedrock',
    send: (h, s) => h.bedrock('r-oai', 'converse', s),
    body: chatBody,
    throttled: chatThrottled,
    textOf: converseText,
  },
];
