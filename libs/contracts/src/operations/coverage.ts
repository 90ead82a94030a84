import type { AnyOperation, Ctor } from './operation';

/**
 * What the subject tables lack of the declarations: a name missing from `Subjects` or bound to
 * another subject, a subject with no payload class or another one, a subject declared twice.
 * Empty when the tables are derived correctly (operations.spec.ts holds it at empty).
 */
export function declarationGaps(
  operations: Record<string, AnyOperation>,
  events: Record<string, { subject: string; payload: Ctor }>,
  subjects: Record<string, string>,
  payloadClasses: Record<string, Ctor>,
): string[] {
  const declared = [
    ...Object.entries(operations).map(([name, op]) => ({ name, subject: op.subject, cls: op.request })),
    ...Object.entries(events).map(([name, ev]) => ({ name, subject: ev.subject, cls: ev.payload })),
  ];
  const seen = new Map<string, string>();
  return declared.flatMap(({ name, subject, cls }) => {
    const gaps: string[] = [];
    const other = seen.get(subject);
    if (other) gaps.push(`${name}: ${subject} is also declared as ${other}`);
    seen.set(subject, name);
    if (subjects[name] !== subject) gaps.push(`${name}: Subjects.${name} is not ${subject}`);
    if (payloadClasses[subject] !== cls) gaps.push(`${name}: PayloadClasses has no ${cls.name} for ${subject}`);
    return gaps;
  });
}

/** The path parameters of a REST path (`:id/cancel` → ['id']). */
export const pathParams = (path: string): string[] =>
  path
    .split('/')
    .filter((s) => s.startsWith(':'))
    .map((s) => s.slice(1));

/**
 * What is wrong with the REST routes as declared: two routes on one method and path, routes of one
 * resource (one controller) with different OpenAPI tags, a path
 * parameter with no declaration (or a declared one not in the path), a route whose success answer
 * has no class for the OpenAPI document.
 */
export function restRouteGaps(operations: Record<string, AnyOperation>): string[] {
  const routes = new Map<string, string>();
  const tags = new Map<string, string>();
  return Object.entries(operations).flatMap(([name, op]) => {
    const rest = op.rest;
    if (!rest) return [];
    const gaps: string[] = [];
    const tag = tags.get(rest.resource) ?? rest.tag;
    if (tag !== rest.tag) gaps.push(`${name}: tagged ${rest.tag}, the other routes of /${rest.resource} ${tag}`);
    tags.set(rest.resource, tag);
    const key = `${rest.method} /${[rest.resource, rest.path].filter(Boolean).join('/')}`;
    if (routes.has(key)) gaps.push(`${name}: ${key} is also ${routes.get(key)}`);
    routes.set(key, name);
    const inPath = pathParams(rest.path).sort();
    const declared = rest.paramsClass ? inPath : Object.keys(rest.params ?? {}).sort();
    if (inPath.join() !== declared.join())
      gaps.push(`${name}: path parameters ${inPath.join(', ') || 'none'}, declared ${declared.join(', ') || 'none'}`);
    const replyIsClass = typeof op.reply === 'function' || Array.isArray(op.reply);
    if (!rest.response?.type && !replyIsClass)
      gaps.push(`${name}: no class for its success answer (rest.response.type)`);
    return gaps;
  });
}
