import { CONVERSATION_READ_ROLES, CONVERSATION_READS, MODEL_SETUP_GUIDANCE } from '@juggernaut/contracts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROLES_KEY } from '../auth/roles';
import { READ_ROUTES } from './conversation-reads';

describe('what a conversation may read', () => {
  it("reads each resource through a GET route, with exactly the roles that route allows (as the runner's tools assume)", () => {
    for (const resource of CONVERSATION_READS) {
      const r = READ_ROUTES[resource];
      const handler = (r.controller.prototype as Record<string, unknown>)[r.method] as object;
      expect([resource, Reflect.getMetadata('method', handler)]).toEqual([resource, 0]); // RequestMethod.GET
      expect([resource, [...(Reflect.getMetadata(ROLES_KEY, handler) as string[])].sort()]).toEqual([
        resource,
        [...CONVERSATION_READ_ROLES[resource]].sort(),
      ]);
    }
    // what a viewer may not read through REST, a conversation may not read for it either
    expect(CONVERSATION_READS.filter((r) => !CONVERSATION_READ_ROLES[r].includes('viewer'))).toEqual([
      'audit',
      'api-keys',
    ]);
  });

  it('answers 503 without a model with the fix `npm run doctor` prints, word for word', () => {
    const doctor = readFileSync(join(__dirname, '..', '..', '..', '..', 'tools', 'stack', 'doctor.mjs'), 'utf8');
    expect(doctor).toContain(`'${MODEL_SETUP_GUIDANCE}'`);
  });
});
