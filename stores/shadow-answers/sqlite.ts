import type Database from 'better-sqlite3';
import type { ShadowAnswer, ShadowAnswerSink, ShadowAnswerSource } from './interface.ts';

/**
 * Shadowed pairs in the embedded database's `shadow_answers` table (created by its migration). A write that fails
 * (locked, disk full) is dropped and counted by `onDrop`: these texts only feed the shadow comparison, never the
 * observations, which keep their own spill file. The Node gateway inserts through its SQLite writer thread instead
 * (`sqlite-thread.ts`), which runs this insert.
 */
export function sqliteShadowAnswers(
  db: Database.Database,
  onDrop: (error: Error) => void = () => {},
): ShadowAnswerSink & ShadowAnswerSource {
  const insert =
    db.prepare(`INSERT OR IGNORE INTO shadow_answers (shadow_request_id, live_request_id, time, prompt, live_answer, shadow_answer)
    VALUES (@shadowRequestId, @liveRequestId, @time, @prompt, @liveAnswer, @shadowAnswer)`);
  return {
    record(answer: ShadowAnswer): void {
      try {
        insert.run(answer);
      } catch (err) {
        onDrop(err as Error);
      }
    },
    ...sqliteShadowAnswerSource(db),
  };
}

/** Reads the `shadow_answers` table on `db`, in insert order. */
export function sqliteShadowAnswerSource(db: Database.Database): ShadowAnswerSource {
  const select = db.prepare(`SELECT shadow_request_id, live_request_id, time, prompt, live_answer, shadow_answer
    FROM shadow_answers WHERE time >= ? ORDER BY seq`);
  return {
    list(since = 0): ShadowAnswer[] {
      const rows = select.all(since) as Record<string, unknown>[];
      return rows.map((r) => ({
        shadowRequestId: r.shadow_request_id as string,
        liveRequestId: r.live_request_id as string,
        time: r.time as number,
        prompt: (r.prompt ?? null) as string | null,
        liveAnswer: (r.live_answer ?? null) as string | null,
        shadowAnswer: (r.shadow_answer ?? null) as string | null,
      }));
    },
  };
}
