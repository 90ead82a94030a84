import {
  CONVERSATION_TASK_TYPE,
  DEFAULT_AGENT_MAX_SUBMIT_LEVEL,
  DEFAULT_TASK_SUBMITTERS,
  minimumLevel,
  type PermissionPolicyV1,
  TASK_SUBMITTER_ROLES,
} from '@juggernaut/contracts';
import type { Role } from '../auth/roles';

const has = (map: object | undefined, key: string): boolean => !!map && Object.prototype.hasOwnProperty.call(map, key);

/** The roles that may submit `type` under the policy: its own entry, else the default entry, else every submitter role. */
export function submittersOf(permissions: PermissionPolicyV1, type: string): readonly string[] {
  if (has(permissions.taskSubmitters, type)) return permissions.taskSubmitters![type]!;
  if (has(DEFAULT_TASK_SUBMITTERS, type)) return DEFAULT_TASK_SUBMITTERS[type]!;
  return TASK_SUBMITTER_ROLES;
}

/**
 * Why a key of this role may not submit this task under the policy, naming the rule; undefined when
 * it may. Two rules: the roles allowed per task type (`permissions.taskSubmitters`, with defaults
 * that keep `dev.change` and `goal.plan` to people), and for agent keys a ceiling on the task's level
 * (`permissions.agentMaxSubmitLevel`): its requiredLevel or the level the policy sets for its type,
 * whichever is higher, so an agent cannot hand work to a worker above its own kind. Answers in
 * conversations are no one's to submit: governance creates them for a question, with the asker's role.
 */
export function submissionRefusal(
  permissions: PermissionPolicyV1,
  role: Role,
  task: { type: string; requiredLevel?: number },
): string | undefined {
  if (task.type === CONVERSATION_TASK_TYPE) {
    return `"${CONVERSATION_TASK_TYPE}" tasks are created only for a question asked with POST /api/v1/conversations/{id}/messages`;
  }
  const allowed = submittersOf(permissions, task.type);
  if (!allowed.includes(role)) {
    const source = has(permissions.taskSubmitters, task.type) ? 'the policy' : 'the default';
    return `policy rule permissions.taskSubmitters: ${source} lets ${allowed.length ? `only ${allowed.join(', ')} keys` : 'no API key'} submit "${task.type}" tasks, not ${role} keys`;
  }
  if (role === 'agent') {
    const ceiling = permissions.agentMaxSubmitLevel ?? DEFAULT_AGENT_MAX_SUBMIT_LEVEL;
    const level = Math.max(task.requiredLevel ?? 1, minimumLevel(permissions.taskTypes ?? {}, task.type));
    if (level > ceiling) {
      return `policy rule permissions.agentMaxSubmitLevel: agent keys may submit tasks up to level ${ceiling}; this "${task.type}" task needs level ${level}`;
    }
  }
  return undefined;
}

/**
 * The payload as it is forwarded: who requested the task is the authenticated key, never what the
 * body says. It is set for dev.change tasks (dev-bot records it on the change) and replaces any
 * `requestedBy` a caller put in a payload.
 */
export function withRequester(
  type: string,
  payload: Record<string, unknown> | undefined,
  keyName: string,
): Record<string, unknown> | undefined {
  if (type !== 'dev.change' && !has(payload, 'requestedBy')) return payload;
  return { ...(payload ?? {}), requestedBy: keyName };
}
