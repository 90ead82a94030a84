/**
 * What a conversation answers a model that tries to change something: the tools that write are
 * never offered there, and a call of one is refused with the REST call a person with the right key
 * would make instead, built from the arguments the model gave.
 */
const REST_EQUIVALENTS: Record<string, { call: (args: Record<string, unknown>) => string; who: string }> = {
  create_task: {
    call: (a) =>
      `POST /api/v1/tasks ${body(a, ['type', 'title', 'requiredLevel', 'budgetMinor', 'dependsOn'], (x) => ({ ...x, payload: { goal: a['goal'] } }))}`,
    who: 'an admin, operator or agent key',
  },
  create_opportunity: { call: (a) => `POST /api/v1/opportunities ${body(a)}`, who: 'an admin, operator or agent key' },
  propose_experiment: { call: (a) => `POST /api/v1/experiments ${body(a)}`, who: 'an admin, operator or agent key' },
  request_code_change: { call: (a) => `POST /api/v1/changes ${body(a)}`, who: 'an admin or operator key' },
  goal_note_write: {
    call: (a) => `POST /api/v1/goals/{goalId}/notes ${body(a)}`,
    who: 'an admin, operator or agent key',
  },
  log: {
    call: (a) => `POST /api/v1/logs ${body({ workerId: 'me', action: 'note', ...a })}`,
    who: 'an admin, operator or agent key',
  },
};

function body(
  args: Record<string, unknown>,
  keys?: string[],
  shape?: (picked: Record<string, unknown>) => Record<string, unknown>,
): string {
  const picked = keys ? Object.fromEntries(keys.filter((k) => args[k] !== undefined).map((k) => [k, args[k]])) : args;
  return JSON.stringify(shape ? shape(picked) : picked).slice(0, 2_000);
}

function parsed(raw: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(raw || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The refusal of a tool that would write (or reach outside the system), or undefined for a name this module does not know. */
export function writeRefusal(name: string, rawArgs: string): string | undefined {
  const rest = REST_EQUIVALENTS[name];
  if (rest) {
    return (
      `${name} would change the system, and this conversation may only read. Do not retry it: tell the caller the exact call to make ` +
      `themselves with ${rest.who}: ${rest.call(parsed(rawArgs))}`
    );
  }
  if (name === 'http_fetch') return "this conversation reads Juggernaut's own state only; it has no web access";
  return undefined;
}
