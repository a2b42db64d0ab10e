import { randomUUID } from 'node:crypto';
import { DynamoDBClient, type PutItemCommandInput } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigDocument } from '../schema/admin.ts';
import { dynamoConfigStore } from '../stores/config/dynamodb.ts';
import type { AuditInput, StoreResult } from '../stores/config/interface.ts';
import { DYNALITE_CREDENTIALS, startDynalite } from './support/dynalite-server.ts';

let dynamo: { endpoint: string; close(): Promise<void> } | null = null;
let client: DynamoDBClient | null = null;
/** Conditional puts whose answer the next attempt loses: the server applies them, the caller sees a time-out. */
let lostAnswers = 0;
const sent: string[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  // maxAttempts 2, as the store's own client: a time-out is retried once by the SDK.
  client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: DYNALITE_CREDENTIALS, maxAttempts: 2 });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const input = args.input as Partial<PutItemCommandInput>;
      if (context.commandName === 'PutItemCommand') sent.push(input.ConditionExpression ?? 'unconditional');
      if (context.commandName === 'PutItemCommand' && input.ConditionExpression && lostAnswers > 0) {
        lostAnswers--;
        throw Object.assign(new Error('Connection timed out after 2000 ms'), { name: 'TimeoutError' });
      }
      return out;
    },
    { step: 'deserialize', name: 'loseConditionalPutAnswer' },
  );
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.close();
});

function value<T>(result: StoreResult<T>): T {
  if (!result.ok) throw new Error(`store call failed: ${result.error.kind}: ${result.error.message}`);
  return result.value;
}

const store = (): ReturnType<typeof dynamoConfigStore> =>
  dynamoConfigStore({ client: client!, table: 'gateway-config', createTable: true, keyPrefix: `${randomUUID()}#` });
const documentAt = (n: number): ConfigDocument => ({
  config: { pricing: {}, systemPrompts: {}, configs: [], routes: [], experiments: [], canaries: [] },
  versions: { 'configs/c': n },
  apiKeys: [],
});
const auditOf = (n: number): AuditInput => ({
  time: 1_700_000_000_000 + n,
  actor: 'admin-test',
  action: 'update',
  resource: 'configs/c',
  before: null,
  after: { n },
});

describe('DynamoDB config store: a conditional write whose answer was lost', () => {
  it('reports a record write as written when the retry fails only because the first attempt landed', async () => {
    const s = store();
    await s.version(); // creates the table before the answers are lost
    sent.length = 0;
    lostAnswers = 1;
    expect(await s.putRecord('canary/k', { status: 'running', weight: 5 }, 0)).toEqual({ ok: true, value: 1 });
    expect(sent).toEqual(['attribute_not_exists(pk)', 'attribute_not_exists(pk)']); // the SDK did retry
    lostAnswers = 1;
    expect(await s.putRecord('canary/k', { status: 'running', weight: 25 }, 1)).toEqual({ ok: true, value: 2 });
    expect(value(await s.getRecord('canary/k'))).toEqual({ revision: 2, value: { status: 'running', weight: 25 } });
    expect(lostAnswers).toBe(0);
  });

  it('still reports a conflict when another writer holds the revision, even with the very same value', async () => {
    const s = store();
    expect(value(await s.putRecord('canary/k', { weight: 5 }, 0))).toBe(1);
    expect(await s.putRecord('canary/k', { weight: 5 }, 0)).toMatchObject({ ok: false, error: { kind: 'conflict' } });
    lostAnswers = 1;
    expect(await s.putRecord('canary/k', { weight: 25 }, 0)).toMatchObject({ ok: false, error: { kind: 'conflict' } });
    lostAnswers = 0;
    expect(value(await s.getRecord('canary/k'))).toEqual({ revision: 1, value: { weight: 5 } });
  });

  it('commits the routing document, with its audit entry, when the retry fails only because the first attempt landed', async () => {
    const s = store();
    await s.version();
    lostAnswers = 1;
    expect(await s.commit(0, documentAt(1), auditOf(1))).toEqual({ ok: true, value: 1 });
    lostAnswers = 1;
    expect(await s.commit(1, documentAt(2), auditOf(2))).toEqual({ ok: true, value: 2 });
    expect(value(await s.read())).toEqual({ version: 2, document: documentAt(2) });
    expect(value(await s.audit()).map((e) => e.version)).toEqual([1, 2]);
  });

  it('still reports a conflict when another writer committed the same document first', async () => {
    const keyPrefix = `${randomUUID()}#`;
    const [mine, theirs] = [0, 1].map(() => dynamoConfigStore({ client: client!, table: 'gateway-config', createTable: true, keyPrefix }));
    expect(value(await theirs!.commit(0, documentAt(1), { ...auditOf(1), actor: 'someone-else' }))).toBe(1);
    expect(await mine!.commit(0, documentAt(1), auditOf(1))).toMatchObject({ ok: false, error: { kind: 'conflict' } });
    expect(value(await mine!.audit()).map((e) => e.actor)).toEqual(['someone-else']);
  });
});
