import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { minimumLevel, PolicyDocumentV1 } from './policy.v1';

const valid = {
  version: 3,
  updatedAt: '2026-01-01T00:00:00.000Z',
  killSwitch: { engaged: false },
  budgets: { currency: 'USD', globalDailyCapMinor: 100_000, perLevelDailyCapMinor: { '1': 100, '5': 90_000 } },
  permissions: { taskTypes: { 'experiment.run': 4 }, tools: { 'git.merge': 5 } },
  approvals: { spendAboveMinor: 10_000, toolsRequiringApproval: ['git.merge'], ttlSeconds: 3600 },
};

function errorsOf(doc: unknown): string[] {
  const errors = validateSync(plainToInstance(PolicyDocumentV1, doc), { whitelist: true, forbidNonWhitelisted: true });
  const out: string[] = [];
  const walk = (es: typeof errors, path: string) => {
    for (const e of es) {
      const p = path ? `${path}.${e.property}` : e.property;
      if (e.constraints) out.push(p);
      walk(e.children ?? [], p);
    }
  };
  walk(errors, '');
  return out;
}

describe('PolicyDocumentV1', () => {
  it('accepts a complete policy', () => {
    expect(errorsOf(valid)).toEqual([]);
    const submitters = {
      ...valid.permissions,
      taskSubmitters: { 'dev.change': ['admin'], noop: [] },
      agentMaxSubmitLevel: 3,
    };
    expect(errorsOf({ ...valid, permissions: submitters })).toEqual([]);
  });

  it.each([
    [
      'a level outside 1–5 in a permission map',
      { ...valid, permissions: { ...valid.permissions, tools: { 'git.merge': 6 } } },
      'permissions.tools',
    ],
    [
      'a fractional level',
      { ...valid, permissions: { ...valid.permissions, taskTypes: { noop: 1.5 } } },
      'permissions.taskTypes',
    ],
    [
      'a per-level cap keyed by something other than 1–5',
      { ...valid, budgets: { ...valid.budgets, perLevelDailyCapMinor: { '6': 1 } } },
      'budgets.perLevelDailyCapMinor',
    ],
    [
      'an unsafe integer amount',
      { ...valid, budgets: { ...valid.budgets, globalDailyCapMinor: 2 ** 60 } },
      'budgets.globalDailyCapMinor',
    ],
    [
      'a string where a map belongs',
      { ...valid, permissions: { ...valid.permissions, tools: 'all' } },
      'permissions.tools',
    ],
    ['a missing kill switch', { ...valid, killSwitch: undefined }, 'killSwitch'],
    ['a lowercase currency', { ...valid, budgets: { ...valid.budgets, currency: 'usd' } }, 'budgets.currency'],
    [
      'an approval ttl under a minute',
      { ...valid, approvals: { ...valid.approvals, ttlSeconds: 5 } },
      'approvals.ttlSeconds',
    ],
    ['an unknown field', { ...valid, approvals: { ...valid.approvals, autoApprove: true } }, 'approvals.autoApprove'],
    [
      'a tool name that is not a lowercase name',
      { ...valid, permissions: { ...valid.permissions, tools: { 'Drop Table': 3 } } },
      'permissions.tools',
    ],
    [
      'a submitter role that does not exist',
      { ...valid, permissions: { ...valid.permissions, taskSubmitters: { 'dev.change': ['root'] } } },
      'permissions.taskSubmitters',
    ],
    [
      'viewers as task submitters',
      { ...valid, permissions: { ...valid.permissions, taskSubmitters: { noop: ['viewer'] } } },
      'permissions.taskSubmitters',
    ],
    [
      'a role listed twice',
      { ...valid, permissions: { ...valid.permissions, taskSubmitters: { noop: ['agent', 'agent'] } } },
      'permissions.taskSubmitters',
    ],
    [
      'submitters that are not a list',
      { ...valid, permissions: { ...valid.permissions, taskSubmitters: { noop: 'agent' } } },
      'permissions.taskSubmitters',
    ],
    [
      'a task type that is not a lowercase name',
      { ...valid, permissions: { ...valid.permissions, taskSubmitters: { 'Dev Change': [] } } },
      'permissions.taskSubmitters',
    ],
    [
      'an agent submit level above 5',
      { ...valid, permissions: { ...valid.permissions, agentMaxSubmitLevel: 6 } },
      'permissions.agentMaxSubmitLevel',
    ],
  ])('refuses %s', (_, doc, field) => {
    expect(errorsOf(doc)).toContain(field);
  });
});

describe('minimumLevel', () => {
  it('is the listed level, or 1 for a name the policy does not list', () => {
    expect(minimumLevel({ 'git.merge': 5 }, 'git.merge')).toBe(5);
    expect(minimumLevel({ 'git.merge': 5 }, 'http.get')).toBe(1);
    expect(minimumLevel({}, 'constructor')).toBe(1);
  });
});
