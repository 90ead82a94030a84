import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import type { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * What every operation of the OpenAPI document gets without its author writing it, applied to the
 * document Nest generates (configureHttp), so a new route is complete by convention:
 *
 * - a summary, when the route declares none (`@ApiOperation({ summary })` wins), made from its
 *   handler's name and path: `list` on /goals is "List goals", `rotate` on /api-keys/{id}/rotate
 *   "Rotate (api keys)";
 * - its success status (the handler's `@HttpCode`, else 201 for POST and 200 otherwise) when it
 *   documents none; the schema of that answer must come from the route (`@ApiOkResponse({ type })`):
 *   apps/governance-api/test/openapi.int.spec.ts names every operation that lacks one;
 * - the error answers the conventions of the API make possible, each with the one error body
 *   (`ErrorResponse`, what http/error.filter.ts writes): 400 where it takes parameters or a body
 *   (validation), 404 where its path names a resource, 401, 403 and 429 where it needs an API key;
 * - `security: []` on the public routes (payment webhooks, authenticated by their signature);
 * - the document's servers and a description of every tag (TAG_DESCRIPTIONS: a tag
 *   without one fails the lint test, naming it).
 */
export const TAG_DESCRIPTIONS: Record<string, string> = {
  alerts:
    'Issues the monitor raised (stuck tasks, silent workers, budget burn, error spikes, ledger conflicts) and their resolution.',
  'api-keys': 'API keys and their roles (admin, operator, viewer, agent): create, list, rotate, expire, revoke.',
  approvals: 'Risky actions waiting for a human decision: list, approve, reject.',
  audit: 'The audit log: who changed what, and when.',
  budgets: 'Model spend against the daily caps, and releasing tasks that waited for budget.',
  changes: 'dev-bot: repositories it develops and the change requests, pull requests and merges it makes.',
  conversations: 'Questions to the system answered by a read-only agent over its own state.',
  experiments: 'Revenue experiments: variants, start and stop, results, decisions and budget allocation.',
  goals: 'Goals the agents work toward, their progress and notes.',
  ledger:
    'The double-entry ledger: accounts, balances, transactions, P&L, progress to target, rates and reconciliations.',
  logs: 'Execution log lines: every step an agent took.',
  opportunities: 'Revenue opportunities found by agents or people.',
  policies: 'Policies: budgets, spending caps, approval thresholds, permissions, and the kill switch.',
  tasks: 'The task queue: submit, list, cancel, retry, batches, schedules, per-type limits and retention.',
  webhooks: "Payment providers' webhooks (signed, no API key) and the sources they come from.",
  workers: 'Agent workers: level, status, current tasks and spend.',
};

const ERROR_SCHEMA = 'ErrorResponse';
const ERRORS: Record<string, string> = {
  '400': 'Invalid input: the message names each offending field.',
  '401': 'No valid API key, or a malformed one.',
  '403': "The key's role may not call this operation.",
  '404': 'No such resource.',
  '429': 'Over the rate limit; see Retry-After.',
};
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

type Operation = {
  operationId?: string;
  summary?: string;
  tags?: string[];
  parameters?: unknown[];
  requestBody?: unknown;
  security?: unknown[];
  responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  'x-juggernaut-public'?: string;
};

/** Completes the document in place and returns it. */
export function completeOpenApi(document: OpenAPIObject, app: INestApplication): OpenAPIObject {
  const httpCodes = handlerHttpCodes(app);
  document.servers = [
    { url: '/', description: 'This API, where it is served (the paths carry the /api/v1 base path).' },
  ];
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas[ERROR_SCHEMA] = {
    type: 'object',
    description: 'The one error body of every route (a 500 never echoes internals).',
    required: ['statusCode', 'message'],
    properties: {
      statusCode: { type: 'integer', example: 400 },
      error: { type: 'string', example: 'Bad Request' },
      message: {
        oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
        example: ['limit must not be greater than 200'],
      },
    },
  };
  const tags = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      for (const t of op.tags ?? []) tags.add(t);
      op.summary ??= summaryOf(method, path, op.operationId);
      const isPublic = Boolean(op['x-juggernaut-public']);
      if (isPublic) op.security = [];
      if (!Object.keys(op.responses).some((c) => c.startsWith('2'))) {
        const code = (op.operationId && httpCodes.get(op.operationId)) ?? (method === 'post' ? 201 : 200);
        op.responses[String(code)] = { description: 'Success.' };
      }
      const wanted = [
        ...((op.parameters?.length ?? 0) > 0 || op.requestBody ? ['400'] : []),
        ...(/\{[^}]+\}/.test(path) ? ['404'] : []),
        ...(isPublic ? [] : ['401', '403', '429']),
      ];
      for (const code of wanted) op.responses[code] ??= { description: ERRORS[code]! };
      for (const [code, response] of Object.entries(op.responses)) {
        if (/^[45]/.test(code) && !response.content)
          response.content = { 'application/json': { schema: { $ref: `#/components/schemas/${ERROR_SCHEMA}` } } };
      }
    }
  }
  document.tags = [...tags]
    .sort()
    .map((name) => ({ name, ...(TAG_DESCRIPTIONS[name] ? { description: TAG_DESCRIPTIONS[name] } : {}) }));
  return document;
}

/** "List goals", "Get goal", "Create goal", "Rotate (api keys)": from the handler's name and its path. */
export function summaryOf(method: string, path: string, operationId?: string): string {
  const handler = operationId?.split('_').at(-1) ?? method;
  const words = handler.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  const statics = path
    .replace(/^\/api\/v1\//, '')
    .split('/')
    .filter((s) => s && !s.startsWith('{'))
    .map((s) => s.replace(/-/g, ' '));
  const last = statics.at(-1) ?? '';
  const singular = last.replace(/ies$/, 'y').replace(/(?<!s)s$/, '');
  const verb = words.charAt(0).toUpperCase() + words.slice(1);
  if (words === 'list') return `List ${last}`;
  if (['get', 'create', 'update', 'delete'].includes(words)) return `${verb} ${singular}`;
  return `${verb} (${statics[0] ?? last})`;
}

/** Each handler's `@HttpCode`, by the operationId Nest's Swagger module gives it (`Controller_method`). */
function handlerHttpCodes(app: INestApplication): Map<string, number> {
  const codes = new Map<string, number>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!type?.prototype) continue;
      for (const name of Object.getOwnPropertyNames(type.prototype)) {
        const handler = (type.prototype as Record<string, unknown>)[name];
        const code =
          typeof handler === 'function'
            ? (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined)
            : undefined;
        if (code) codes.set(`${type.name}_${name}`, code);
      }
    }
  }
  return codes;
}
