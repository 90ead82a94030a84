import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod, type Type } from '@nestjs/common';
import { type AnyOperation, Operations } from '@juggernaut/contracts';
import { AUDITED_IN_HANDLER } from '../audit/audited.decorator';
import { ROLES_KEY } from '../auth/roles';
import { GATEWAY_CONTROLLERS, gatewayControllers } from './gateway';

const ops = Operations as unknown as Record<string, AnyOperation>;
const declared = Object.entries(ops).filter(([, op]) => op.rest);

/**
 * What the controllers lack of the declared routes: a route with no handler, or one whose method,
 * path, status, roles or audit differ from its declaration.
 */
function gatewayGaps(controllers: Type[], operations: Array<[string, AnyOperation]>): string[] {
  return operations.flatMap(([name, op]) => {
    const rest = op.rest!;
    const cls = controllers.find((c) => Reflect.getMetadata(PATH_METADATA, c) === rest.resource);
    const handler = (cls?.prototype as Record<string, unknown> | undefined)?.[rest.handler];
    if (typeof handler !== 'function') return [`${name}: no route ${rest.method} /${rest.resource}/${rest.path}`];
    const gaps: string[] = [];
    const got = {
      method: RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number],
      path: Reflect.getMetadata(PATH_METADATA, handler) as string,
      status: Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined,
      roles: Reflect.getMetadata(ROLES_KEY, handler) as string[],
      audited: Boolean(Reflect.getMetadata(AUDITED_IN_HANDLER, handler)),
    };
    const want = {
      method: rest.method,
      path: rest.path || '/',
      status: rest.status,
      roles: [...rest.roles],
      audited: rest.audited,
    };
    if (JSON.stringify(got) !== JSON.stringify(want))
      gaps.push(`${name}: ${JSON.stringify(got)} is not ${JSON.stringify(want)}`);
    return gaps;
  });
}

describe('the gateway', () => {
  it('has a route for every operation declared with one, as declared', () => {
    expect(declared.length).toBeGreaterThan(35);
    expect(gatewayGaps(GATEWAY_CONTROLLERS, declared)).toEqual([]);
  });

  it('reports a declared route it lacks (the check is not a rubber stamp)', () => {
    const withoutOne = gatewayControllers(Object.fromEntries(declared.filter(([name]) => name !== 'ledgerRateSet')));
    expect(gatewayGaps(withoutOne, declared)).toEqual(['ledgerRateSet: no route PUT /ledger/rates/:currency']);
  });

  it('builds one controller per resource, named for the operationIds of the OpenAPI document', () => {
    expect(GATEWAY_CONTROLLERS.map((c) => c.name).sort()).toEqual([
      'ChangesController',
      'ExperimentsController',
      'LedgerController',
      'RepositoriesController',
      'SchedulesController',
      'TaskRetentionController',
      'TaskTypesController',
      'TasksController',
    ]);
  });

  describe('makes the NATS request of a call', () => {
    const controller = (resource: string) =>
      GATEWAY_CONTROLLERS.find((c) => Reflect.getMetadata(PATH_METADATA, c) === resource)!;
    const call = async (resource: string, handler: string, ...args: unknown[]) => {
      const sent: unknown[][] = [];
      const bus = { request: async (...a: unknown[]) => (sent.push(a), { ok: 1, secret: 'sk_live_abcdefghijklmnop' }) };
      const trail = { forward: async (f: () => Promise<unknown>) => f() };
      const instance = new (controller(resource) as new (bus: unknown) => Record<string, (...a: unknown[]) => unknown>)(
        bus,
      );
      const reply = await instance[handler]!(...args.map((a) => (a === 'TRAIL' ? trail : a)));
      return { sent: sent[0], reply };
    };
    const caller = { keyId: 'k', name: 'ops-key', role: 'admin' };

    it('from the path parameters, the body (empty optional texts left out) and the caller', async () => {
      const id = '0b7c7f3e-3c0e-4e5e-9a59-111111111111';
      expect((await call('tasks', 'cancel', { reason: '' }, id, caller, 'TRAIL')).sent).toEqual([
        'juggernaut.task.cancel.v1',
        { id, by: 'ops-key' },
        undefined,
      ]);
      expect((await call('experiments', 'stop', { reason: 'done' }, id, caller, 'TRAIL')).sent).toEqual([
        'juggernaut.experiment.stop.v1',
        { id, reason: 'done', by: 'ops-key' },
        undefined,
      ]);
    });

    it('with a parameter renamed, the query, and the declared timeout', async () => {
      const id = '0b7c7f3e-3c0e-4e5e-9a59-222222222222';
      expect((await call('experiments', 'assign', { unitId: 'u-1' }, id)).sent).toEqual([
        'juggernaut.experiment.assign.v1',
        { unitId: 'u-1', experimentId: id },
        undefined,
      ]);
      expect((await call('tasks', 'bulkCancel', { type: 'noop' }, caller, 'TRAIL')).sent).toEqual([
        'juggernaut.task.cancel.bulk.v1',
        { type: 'noop', by: 'ops-key' },
        60_000,
      ]);
    });

    it('refuses a forged cursor before sending anything, and redacts where declared', async () => {
      await expect(call('tasks', 'list', { cursor: 'not-a-cursor' })).rejects.toThrow(/cursor/);
      const { reply } = await call('schedules', 'list');
      expect(JSON.stringify(reply)).not.toContain('sk_live_abcdefghijklmnop');
    });
  });
});
