import type { Upstream } from '../../schema/config.ts';
import type { UpstreamCodec } from '../canonical.ts';
import { converseUpstreamCodec } from './bedrock/converse-codec.ts';
import { chatUpstreamCodec } from './openai/chat-codec.ts';

/** How to speak to each provider when a call must be translated from another protocol. */
export const upstreamCodecs: Record<Upstream['provider'], UpstreamCodec> = {
  bedrock: converseUpstreamCodec,
  openai: chatUpstreamCodec,
};
