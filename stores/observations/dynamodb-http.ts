import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { AwsCredentialIdentity } from '@smithy/types';
import { createSigner, webSigningCrypto, type SigningCrypto } from '../../gateway/upstreams/bedrock/sigv4.ts';
import { feedbackItem, feedbackKey, feedbackSortKey, observationItems } from './dynamodb-items.ts';
import type { RecordBatch, RecordStore } from './interface.ts';

/** Options of the fetch-based DynamoDB writer. */
export interface DynamoHttpStoreOptions {
  /** Table with string partition key `pk` and string sort key `sk`. Default `manga_ab_tests`. */
  table?: string;
  region: string;
  /** `https://dynamodb.<region>.amazonaws.com` by default; a local endpoint (dynalite) in tests. */
  endpoint?: string;
  credentials: AwsCredentialIdentity;
  /** Hashing for SigV4; Web Crypto by default. */
  signingCrypto?: SigningCrypto;
  /** Time allowed per HTTP call. Default 2,000 ms. */
  timeoutMs?: number;
  /** Rounds of retrying items DynamoDB left unprocessed (throttling) before a write fails. Default 4. */
  maxRetries?: number;
  fetch?: typeof fetch;
}

/** An error answer of DynamoDB's JSON protocol: `__type` names the exception. */
export class DynamoHttpError extends Error {
  override name = 'DynamoHttpError';
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(`DynamoDB ${status} ${type}: ${message}`);
  }
}

const encoder = new TextEncoder();

/**
 * The DynamoDB observation log over plain `fetch` and SigV4 (Web Crypto): BatchWriteItem only, with the same
 * items as the SDK store (`dynamodb.ts`), for runtimes where the AWS SDK is too heavy (the Worker).
 */
export function dynamoHttpRecordStore(options: DynamoHttpStoreOptions): RecordStore & { write(batch: RecordBatch): Promise<void> } {
  const endpoint = new URL(options.endpoint ?? `https://dynamodb.${options.region}.amazonaws.com`);
  const table = options.table ?? 'manga_ab_tests';
  const sign = createSigner(options.signingCrypto ?? webSigningCrypto);
  const doFetch = options.fetch ?? fetch;
  const maxRetries = options.maxRetries ?? 4;

  async function call(target: string, payload: unknown): Promise<Record<string, unknown>> {
    const body = encoder.encode(JSON.stringify(payload));
    const headers = await sign({
      host: endpoint.host,
      path: '/',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${target}` },
      body,
      credentials: options.credentials,
      region: options.region,
      service: 'dynamodb',
    });
    const res = await doFetch(new URL('/', endpoint), {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 2_000),
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!res.ok) {
      const type = String(json.__type ?? 'UnknownError')
        .split('#')
        .pop()!;
      throw new DynamoHttpError(type, res.status, String(json.message ?? json.Message ?? text));
    }
    return json;
  }

  async function writeChunk(requests: { PutRequest: { Item: Record<string, AttributeValue> } }[]): Promise<void> {
    let pending: unknown[] = requests;
    for (let attempt = 0; pending.length; attempt++) {
      if (attempt > maxRetries) throw new Error(`DynamoDB left ${pending.length} items unprocessed after ${maxRetries} retries`);
      if (attempt) await new Promise((r) => setTimeout(r, Math.min(1_000, 25 * 2 ** attempt)));
      const out = await call('BatchWriteItem', { RequestItems: { [table]: pending } });
      pending = (out.UnprocessedItems as Record<string, unknown[]> | undefined)?.[table] ?? [];
    }
  }

  return {
    async write(batch) {
      const items = new Map<string, Record<string, AttributeValue>>();
      for (const o of batch.observations) for (const [key, item] of observationItems(o)) items.set(key, item);
      for (const f of batch.feedback) items.set(`${feedbackKey(f.scope, f.key)}\u0000${feedbackSortKey(f)}`, feedbackItem(f));
      const requests = [...items.values()].map((Item) => ({ PutRequest: { Item } }));
      for (let i = 0; i < requests.length; i += 25) await writeChunk(requests.slice(i, i + 25));
    },
    async probe() {
      await call('DescribeTable', { TableName: table });
    },
  };
}
