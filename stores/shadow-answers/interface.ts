/**
 * The texts of one shadowed pair, kept so the analysis can score both answers with the offline scorer: the live
 * request's last user message, the live answer and the shadow candidate's answer. Only requests of sessions in a
 * shadow share are kept; a text the gateway could not read (an `invoke` body, an answer past the capture cap) is null.
 */
export interface ShadowAnswer {
  shadowRequestId: string;
  liveRequestId: string;
  /** Epoch ms when the shadow call ended. */
  time: number;
  prompt: string | null;
  liveAnswer: string | null;
  shadowAnswer: string | null;
}

/** Where shadowed pairs go. `record` must not throw or block: an adapter that cannot keep a pair drops it. */
export interface ShadowAnswerSink {
  record(answer: ShadowAnswer): void;
}

/** Reads the pairs back (the analysis side). */
export interface ShadowAnswerSource {
  list(since?: number): ShadowAnswer[];
}
