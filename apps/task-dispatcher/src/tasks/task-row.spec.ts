import { Subjects, TASK_STATUSES } from '@juggernaut/contracts';
import { REDRIVABLE, TERMINAL, UNFINISHED } from './task-row';
import { SUBJECT_BY_STATUS } from './transitions';

describe('task statuses', () => {
  it('are each either unfinished (it may still run) or finished, never both', () => {
    expect([...UNFINISHED, ...TERMINAL].sort()).toEqual([...TASK_STATUSES].sort());
    expect(UNFINISHED.filter((s) => TERMINAL.includes(s))).toEqual([]);
  });

  it('a failed task waiting out its backoff is unfinished: it holds its unique key and can be cancelled', () => {
    expect(UNFINISHED).toContain('failed');
    expect(TERMINAL).not.toContain('failed');
  });

  it('a redrive takes back dead, cancelled and failed tasks, never a succeeded or a live one', () => {
    expect([...REDRIVABLE].sort()).toEqual(['cancelled', 'dead', 'failed']);
  });

  it('announces claims and endings on the stream; pending, scheduled and blocked are history only', () => {
    expect(SUBJECT_BY_STATUS).toEqual({
      pending: null,
      scheduled: null,
      blocked: null,
      running: Subjects.taskClaimed,
      succeeded: Subjects.taskSucceeded,
      failed: Subjects.taskFailed,
      dead: Subjects.taskDead,
      cancelled: Subjects.taskCancelled,
    });
  });
});
