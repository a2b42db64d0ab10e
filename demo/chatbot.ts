import { type BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import type { GatewayConfig } from '../schema/config.ts';
import { sampleQuality } from '../simulator/quality.ts';
import type { Rng } from '../simulator/rng.ts';

/** The MangaAssist document's traffic mix. */
export const TRAFFIC_MIX: Record<string, number> = {
  recommendation: 0.25,
  product_question: 0.2,
  faq: 0.15,
  order_tracking: 0.15,
  promotion: 0.1,
  checkout_help: 0.05,
  chitchat: 0.08,
  return_request: 0.02,
};

const PROMPTS: Record<string, string> = {
  recommendation: 'Recommend a manga like Berserk',
  product_question: 'Is volume 3 of Vinland Saga a hardcover?',
  faq: 'How long does shipping to Osaka take?',
  order_tracking: 'Where is my order 123?',
  promotion: 'Any deals on One Piece box sets?',
  checkout_help: 'My card was declined at checkout',
  chitchat: 'Hi there!',
  return_request: 'I want to return a damaged volume',
};

/** A chatbot front end talking to the gateway through the real Bedrock SDK. */
export interface Chatbot {
  client: BedrockRuntimeClient;
  gatewayUrl: string;
  config: GatewayConfig;
  rng: Rng;
}

function pickIntent(rng: Rng): string {
  let u = rng.next();
  for (const [intent, share] of Object.entries(TRAFFIC_MIX)) {
    u -= share;
    if (u < 0) return intent;
  }
  return 'recommendation';
}

/** Sends one Converse call; returns the gateway's request id and chosen configuration from its headers. */
async function converse(bot: Chatbot, intent: string, sessionId: string): Promise<{ requestId: string; configId: string } | null> {
  const command = new ConverseCommand({
    modelId: 'mangaassist',
    messages: [{ role: 'user', content: [{ text: PROMPTS[intent] ?? 'Hello' }] }],
    requestMetadata: { intent, session_id: sessionId },
  });
  let headers: Record<string, string> = {};
  command.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      headers = (out.response as { headers: Record<string, string> }).headers;
      return out;
    },
    { step: 'deserialize', name: 'captureGatewayHeaders' },
  );
  try {
    await bot.client.send(command);
  } catch {
    return null;
  }
  const requestId = headers['x-gateway-request-id'];
  const configId = headers['x-gateway-config'];
  return requestId && configId ? { requestId, configId } : null;
}

function upstreamModelOf(config: GatewayConfig, configId: string): string | undefined {
  const upstream = config.configs.find((c) => c.id === configId)?.upstream;
  if (!upstream) return undefined;
  return 'modelId' in upstream ? upstream.modelId : upstream.model;
}

async function postFeedback(bot: Chatbot, events: Record<string, unknown>[]): Promise<void> {
  const res = await fetch(new URL('/v1/feedback', bot.gatewayUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  if (res.status !== 202) throw new Error(`feedback refused: ${res.status} ${await res.text()}`);
}

/**
 * One simulated chat session: a few turns of one intent, a quality score per answer drawn from the
 * answering model's declared distribution, then the session's business outcomes (better answers make a
 * cart add likelier and an escalation rarer).
 */
export async function runSession(bot: Chatbot, sessionId: string): Promise<number> {
  const intent = pickIntent(bot.rng);
  const turns = 1 + bot.rng.int(3);
  const events: Record<string, unknown>[] = [];
  let qualitySum = 0;
  let answered = 0;
  for (let t = 0; t < turns; t++) {
    const call = await converse(bot, intent, sessionId);
    if (!call) continue;
    const model = upstreamModelOf(bot.config, call.configId);
    if (!model) continue;
    const quality = sampleQuality(model, intent, bot.rng);
    qualitySum += quality;
    answered++;
    events.push({ metric: 'quality_score', request_id: call.requestId, value: quality });
    events.push({ metric: 'passed_quality_gate', request_id: call.requestId, value: quality >= 0.75 });
  }
  if (answered > 0) {
    const quality = qualitySum / answered;
    events.push({ metric: 'cart_add', session_id: sessionId, value: bot.rng.next() < 0.5 * quality * quality });
    events.push({ metric: 'escalated', session_id: sessionId, value: bot.rng.next() < 0.25 * (1 - quality) });
    events.push({ metric: 'session_duration_s', session_id: sessionId, value: Math.round(60 + 90 * turns + 60 * bot.rng.next()) });
    await postFeedback(bot, events);
  }
  return answered;
}
