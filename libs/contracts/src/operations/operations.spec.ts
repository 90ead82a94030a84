import { PayloadClasses, type RequestSubjectMap, Subjects } from '../subjects';
import { declarationGaps, restRouteGaps } from './coverage';
import { Operations, SignalSubjects, StreamEvents } from './index';
import type { AnyOperation } from './operation';

const ops = Operations as unknown as Record<string, AnyOperation>;

describe('operation declarations', () => {
  it('derive Subjects and PayloadClasses: every operation and event, with its subject and class', () => {
    expect(declarationGaps(ops, StreamEvents, Subjects, PayloadClasses)).toEqual([]);
    // nothing in the tables that is not declared
    const names = new Set([...Object.keys(Operations), ...Object.keys(StreamEvents), ...Object.keys(SignalSubjects)]);
    expect(Object.keys(Subjects).filter((n) => !names.has(n))).toEqual([]);
    const subjects = new Set([...Object.values(ops), ...Object.values(StreamEvents)].map((d) => d.subject));
    expect(Object.keys(PayloadClasses).filter((s) => !subjects.has(s))).toEqual([]);
  });

  it('report a table that lacks an operation, binds it to another subject or class, or declares a subject twice', () => {
    const { ledgerSummaryGet: _, ...subjects } = Subjects;
    const classes: Record<string, unknown> = { ...PayloadClasses, 'juggernaut.task.get.v1': Object };
    const twice = { ...ops, taskFetch: ops['taskGet']! };
    expect(declarationGaps(twice, StreamEvents, subjects, classes as typeof PayloadClasses)).toEqual([
      'taskGet: PayloadClasses has no TaskIdV1 for juggernaut.task.get.v1',
      'ledgerSummaryGet: Subjects.ledgerSummaryGet is not juggernaut.ledger.summary.get.v1',
      'taskFetch: juggernaut.task.get.v1 is also declared as taskGet',
      'taskFetch: Subjects.taskFetch is not juggernaut.task.get.v1',
      'taskFetch: PayloadClasses has no TaskIdV1 for juggernaut.task.get.v1',
    ]);
  });

  it('declare REST routes that are unique, name their path parameters and have a class for their answer', () => {
    expect(restRouteGaps(ops)).toEqual([]);
    const broken = {
      ...ops,
      again: { ...ops['taskGet']!, rest: { ...ops['taskGet']!.rest!, params: {}, response: {} } },
    };
    expect(restRouteGaps(broken)).toEqual([
      'again: GET /tasks/:id is also taskGet',
      'again: path parameters id, declared none',
      'again: no class for its success answer (rest.response.type)',
    ]);
  });

  it('type the request of each subject from its declaration (a wrong payload does not compile)', () => {
    const ok: RequestSubjectMap['juggernaut.task.get.v1']['request'] = { id: '8a1c2b3d-0000-4000-8000-000000000000' };
    // @ts-expect-error: the request of task.get has no `name`
    const wrong: RequestSubjectMap['juggernaut.task.get.v1']['request'] = { name: 'x' };
    // @ts-expect-error: a subject that is not declared has no entry
    type Missing = RequestSubjectMap['juggernaut.task.nope.v1'];
    const reply: RequestSubjectMap['juggernaut.schedule.delete.v1']['reply'] = { deleted: true };
    expect([ok, wrong, reply].length).toBe(3);
    expect(null as Missing | null).toBeNull();
  });
});
