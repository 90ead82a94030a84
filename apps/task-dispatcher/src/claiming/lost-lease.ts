import type { TaskStatus } from '@juggernaut/contracts';

/** What the database says of a task whose lease a heartbeat could not extend. */
export interface LostLeaseRow {
  status: TaskStatus;
  /** The task still carries the claim token the runner holds. */
  same_token: boolean;
  /** Running on that token past its execution deadline. */
  timed_out: boolean | null;
}

/**
 * Why a runner must stop working on a task whose lease its heartbeat could not extend: it was
 * cancelled; its attempt ran past its execution timeout; its attempt already finished (a result
 * that reached the dispatcher, or the reaper); otherwise its lease lapsed and went elsewhere, or the
 * task is gone (`w` undefined).
 */
export function lostLeaseReason(w: LostLeaseRow | undefined): string {
  if (w?.status === 'cancelled') return 'cancelled';
  if (w?.timed_out && w.same_token) return 'execution timeout';
  if (w?.same_token && w.status !== 'running') return `finished: ${w.status}`;
  return 'lease lost';
}
