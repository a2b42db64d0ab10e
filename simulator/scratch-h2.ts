import { Hono } from 'hono';
import { listenDual } from '../lib/node/listen.ts';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
const app = new Hono();
app.post('/model/:id/converse', async (c) => {
  const body = await c.req.text();
  console.log('path', new URL(c.req.url).pathname, c.req.param('id'), [...c.req.raw.headers.entries()]);
  return c.json({ output: { message: { role: 'assistant', content: [{ text: 'hi' }] } }, stopReason: 'end_turn', usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, metrics: { latencyMs: 1 } });
});
const srv = await listenDual(app.fetch, { port: 0 });
srv.http2.on('connection', (socket: any) => { const original = socket.resume; socket.resume = function () { socket.resume = original; return socket; }; });
const client = new BedrockRuntimeClient({ endpoint: srv.url, region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } });
const t = Date.now();
const out = await client.send(new ConverseCommand({ modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0', messages: [{ role: 'user', content: [{ text: 'hello' }] }] }));
console.log(JSON.stringify(out.output), Date.now() - t);
const out2 = await client.send(new ConverseCommand({ modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0', messages: [{ role: 'user', content: [{ text: 'hello' }] }] }));
console.log(JSON.stringify(out2.usage), Date.now() - t);
client.destroy();
await srv.close();
