import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import OpenAI from 'openai';
import { loadGatewayConfig, parseGatewayConfig } from '../../gateway/config/load.ts';
import { startStack } from './gateway.ts';

/** The simulator's OpenAI-compatible model behind the `custom-ft-openai` configuration. */
export const CUSTOM = 'sagemaker-custom-endpoint';
export const SONNET_V1 = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
export const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';

/** A tool the simulator calls when a prompt asks to "track" an "order" (see simulator/tools.ts). */
export const TRACK_ORDER = {
  name: 'track_order',
  description: 'Where an order is',
  parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
};

/**
 * The shipped configuration plus an OpenAI-compatible configuration (`custom-ft-openai`, the simulator's
 * Chat Completions API), with both SDK clients pointed at the gateway.
 */
export async function startToolsStack() {
  const shipped = loadGatewayConfig('config/mangaassist.json');
  const stack = await startStack({
    timeScale: 0.01,
    configFor: (simUrl) =>
      parseGatewayConfig({
        ...shipped,
        configs: [
          ...shipped.configs,
          { id: 'custom-ft-openai', upstream: { provider: 'openai', baseUrl: `${simUrl}/v1`, model: CUSTOM }, maxTokens: 300 },
        ],
      }),
  });
  const openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const bedrock = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: stack.url,
    token: { token: 'x' },
    authSchemePreference: ['httpBearerAuth'],
    maxAttempts: 1,
  });
  /** The observation of the next request after `before` observations. */
  const observationAfter = async (before: number) => (await stack.sink.waitFor(before + 1))[before]!;
  /** The simulator's last request body of a model, parsed. */
  const lastBody = (modelId: string) => JSON.parse(stack.sim.control.lastBody(modelId) ?? 'null') as Record<string, unknown>;
  return {
    stack,
    openai,
    bedrock,
    observationAfter,
    lastBody,
    async close() {
      bedrock.destroy();
      await stack.close();
    },
  };
}
