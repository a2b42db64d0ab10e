import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import { parseBoundedJson } from '../lib/json-depth.ts';
import { AdminError, fieldIssues, summarise } from './errors.ts';

/** Per-request variables of the admin app. */
export type AdminEnv = { Variables: { requestId: string; actor: string } };

/** An HTTP method of the admin API. */
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One operation: its route, its documentation and its body schema, from which both validation and OpenAPI come. */
export interface Operation<B extends z.ZodType | undefined> {
  method: Method;
  /** Hono path, e.g. `/configs/:id`. */
  path: string;
  tag: string;
  summary: string;
  body?: B;
  /** Query parameters, documented and validated. */
  query?: z.ZodObject;
  /** Status of a successful answer (documentation only). */
  success?: number;
  handler: (c: Context<AdminEnv>, body: B extends z.ZodType ? z.output<B> : undefined) => Response | Promise<Response>;
}

/** What the OpenAPI generator needs of an operation. */
export type OperationDoc = Pick<Operation<z.ZodType | undefined>, 'method' | 'path' | 'tag' | 'summary' | 'body' | 'query' | 'success'>;

/** Registers operations on a Hono app and remembers them for the OpenAPI document. */
export class AdminRouter {
  readonly operations: OperationDoc[] = [];

  constructor(private readonly app: Hono<AdminEnv>) {}

  /** Adds an operation whose body (when it has a schema) is parsed and validated before the handler runs. */
  add<B extends z.ZodType | undefined = undefined>(op: Operation<B>): void {
    this.operations.push({
      method: op.method,
      path: op.path,
      tag: op.tag,
      summary: op.summary,
      body: op.body,
      query: op.query,
      success: op.success,
    });
    this.app.on(op.method.toUpperCase(), op.path, async (c) => {
      const body = op.body ? await validBody(c, op.body) : undefined;
      return op.handler(c, body as B extends z.ZodType ? z.output<B> : undefined);
    });
  }
}

async function validBody<S extends z.ZodType>(c: Context<AdminEnv>, schema: S): Promise<z.output<S>> {
  const raw = parseBoundedJson(await c.req.text());
  if (!raw.ok) throw new AdminError(raw.problem === 'too_deep' ? 'json_too_deep' : 'malformed_json', raw.message);
  const parsed = schema.safeParse(raw.value);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error);
    throw new AdminError('invalid_request', summarise('invalid body', issues), issues);
  }
  return parsed.data;
}

/** Validates query parameters with a schema; a failure is a 400 naming each parameter. */
export function validQuery<S extends z.ZodType>(c: Context<AdminEnv>, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error, 'query');
    throw new AdminError('invalid_request', summarise('invalid query', issues), issues);
  }
  return parsed.data;
}

/** A path parameter of the matched route (always present when the route matched). */
export function param(c: Context<AdminEnv>, name: string): string {
  const value = c.req.param(name);
  if (value === undefined) throw new AdminError('invalid_request', `missing path parameter ${name}`);
  return value;
}
