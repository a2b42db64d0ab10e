import { z } from 'zod';
import { AdminErrorBody } from '../schema/admin.ts';
import type { OperationDoc } from './router.ts';

type Json = Record<string, unknown>;

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'Malformed JSON or an invalid body (issues name each field)',
  '401': 'Missing or unknown admin token',
  '403': 'A data-plane API key was sent instead of an admin token',
  '404': 'Unknown id',
  '409':
    'Conflict: exists already, dangling reference, in use, a second running experiment or canary, or (optimize) the configuration moved since the plan was made or nothing was observed',
  '412': 'Stale If-Match',
  '413': 'Body larger than 1 MiB',
  '503': 'Config store unavailable (optimize: or the observations it analyses)',
};

function schemaOf(schema: z.ZodType): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
}

function operationOf(op: OperationDoc): Json {
  const params = [...op.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const query = op.query
    ? Object.entries((schemaOf(op.query).properties ?? {}) as Record<string, Json>).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        schema,
      }))
    : [];
  const write = op.method !== 'get';
  const responses: Json = { [String(op.success ?? 200)]: { description: 'Success' } };
  for (const [status, description] of Object.entries(ERROR_RESPONSES)) {
    if (!write && ['409', '412', '413'].includes(status)) continue;
    responses[status] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  const ifMatch = write
    ? [
        {
          name: 'If-Match',
          in: 'header',
          required: false,
          schema: { type: 'string' },
          description: 'ETag of the resource read before; 412 when it changed since',
        },
      ]
    : [];
  return {
    tags: [op.tag],
    summary: op.summary,
    parameters: [...params, ...query, ...ifMatch],
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(op.body) } } } } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the admin API, generated from the operations' own zod schemas. */
export function openApiDocument(operations: OperationDoc[], prefix: string): Json {
  const paths: Record<string, Json> = {};
  for (const op of operations) {
    const path = `${prefix}${op.path.replace(/:([A-Za-z]+)/g, '{$1}')}`;
    paths[path] = { ...(paths[path] ?? {}), [op.method]: operationOf(op) };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'llm-gateway admin API', version: '1' },
    security: [{ adminToken: [] }],
    paths,
    components: {
      securitySchemes: { adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' } },
      schemas: { Error: schemaOf(AdminErrorBody) },
    },
  };
}
