import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FeedbackRecord } from '../../schema/feedback.ts';
import type { Observation } from '../../schema/observation.ts';
import { openDatabase } from '../sqlite/database.ts';
import { readFeedback, readObservations, sqliteRecordStore } from './sqlite.ts';

describe('SQLite record store, column by column', () => {
  it('reads back every field of an observation and a feedback event as written (each a value no other field has)', () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'sqlite-columns-')), 'gateway.db'));
    // Numbers and strings all distinct, so two parameters bound in each other's place cannot go unnoticed.
    const observation: Observation = {
      requestId: 'req-a',
      time: 1_001,
      route: 'route-b',
      intent: 'intent-c',
      sessionId: 'session-d',
      traffic: 'eval',
      experimentId: 'experiment-e',
      canaryId: 'canary-f',
      arm: 'treatment',
      configId: 'config-g',
      upstreamModel: 'model-h',
      operation: 'converse-stream',
      streamed: true,
      status: 207,
      errorCode: 'error-i',
      inputTokens: 11,
      outputTokens: 13,
      costUsd: 0.17,
      ttftMs: 19.5,
      latencyMs: 23.5,
      overheadMs: 0.29,
      configVersion: 31,
      expectedShare: 0.37,
      replicaId: 'replica-j',
      cacheReadInputTokens: 41,
      cacheWriteInputTokens: 43,
      stopReason: 'stop-k',
      attempts: 2,
      servedConfigId: 'served-l',
      shadowOf: 'live-m',
      failedAttempts: [{ configId: 'config-n', status: 503, errorCode: 'error-o', ms: 47 }],
    };
    const feedback: FeedbackRecord = {
      eventId: 'event-p',
      receivedAt: 2_003,
      scope: 'session',
      key: 'key-q',
      metric: 'quality_score',
      value: 0.53,
      idempotencyKey: 'idem-r',
      eventTime: 2_001,
    };
    sqliteRecordStore(db).write({ observations: [observation], feedback: [feedback] });
    const [back] = readObservations(db);
    expect(back).toEqual({ ...observation, seq: 1 });
    const [event] = readFeedback(db);
    expect(event).toMatchObject(feedback);
    db.close();
  });
});
