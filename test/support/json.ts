/**
 * A JSON response body as a test reads it: any property path, checked by the assertions that follow. The one
 * place tests opt out of static types, so that each assertion states the shape it expects instead.
 */
// biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON bodies; every read is followed by an assertion on its shape
export type ResponseJson = any;
