import type { ClaimedTaskV1, ClaimTasksV1 } from '@juggernaut/contracts';
import { ParkedClaims } from './parked-claims';

const req = (over: Partial<ClaimTasksV1> = {}): ClaimTasksV1 => ({
  workerId: 'w1',
  level: 1,
  capabilities: [],
  types: ['noop'],
  max: 4,
  waitMs: 1_000,
  ...over,
});
const task = (id: string) => ({ id }) as ClaimedTaskV1;
const tick = () => new Promise((r) => setImmediate(r));

/** A queue of task ids the claims take from, counting the claims made. */
function queue() {
  const ready: string[] = [];
  const calls: string[] = [];
  const claim = async (r: ClaimTasksV1) => {
    calls.push(r.workerId);
    return { tasks: ready.splice(0, r.max).map(task) };
  };
  return { ready, calls, claim };
}

describe('ParkedClaims', () => {
  it('answers a held claim as soon as work arrives, with what the claim took', async () => {
    const q = queue();
    const parked = new ParkedClaims(q.claim);
    const answer = parked.park(req(), performance.now(), performance.now() + 5_000);
    expect(parked.size).toBe(1);
    q.ready.push('a', 'b');
    parked.wake();
    await expect(answer).resolves.toEqual({ tasks: [task('a'), task('b')] });
    expect(parked.size).toBe(0);
  });

  it('answers empty when the wait is up', async () => {
    const parked = new ParkedClaims(queue().claim);
    const t0 = performance.now();
    await expect(parked.park(req(), t0, t0 + 50)).resolves.toEqual({ tasks: [] });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    expect(parked.size).toBe(0);
  });

  it('serves held claims in arrival order and stops once one of a shape comes back short', async () => {
    const q = queue();
    const parked = new ParkedClaims(q.claim);
    const now = performance.now();
    const first = parked.park(req({ workerId: 'w1' }), now, now + 5_000);
    const second = parked.park(req({ workerId: 'w2' }), now, now + 5_000);
    const other = parked.park(req({ workerId: 'w3', types: ['other'] }), now, now + 5_000);
    q.ready.push('a');
    parked.wake();
    await expect(first).resolves.toEqual({ tasks: [task('a')] });
    await tick();
    // w2 has w1's shape (w1 came back short: nothing left for it); w3 differs and is asked
    expect(q.calls).toEqual(['w1', 'w3']);
    expect(parked.size).toBe(2);
    q.ready.push('b');
    parked.wake();
    await expect(second).resolves.toEqual({ tasks: [task('b')] });
    parked.close();
    await expect(other).resolves.toEqual({ tasks: [] });
  });

  it('keeps a claim that still finds nothing held, and runs one more round for a wake during a round', async () => {
    const q = queue();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const parked = new ParkedClaims(async (r) => {
      await gate;
      return q.claim(r);
    });
    const now = performance.now();
    const answer = parked.park(req(), now, now + 5_000);
    parked.wake(); // the round waits on the gate, finds nothing
    parked.wake(); // arrives mid-round: one more round after it
    q.ready.length = 0;
    release();
    await tick();
    await tick();
    expect(parked.size).toBe(1);
    q.ready.push('late');
    parked.wake();
    await expect(answer).resolves.toEqual({ tasks: [task('late')] });
  });

  it('passes a failed claim on to its requester', async () => {
    const parked = new ParkedClaims(async () => {
      throw new Error('database down');
    });
    const now = performance.now();
    const answer = parked.park(req(), now, now + 5_000);
    parked.wake();
    await expect(answer).rejects.toThrow('database down');
  });

  it('holds nothing once closed, and caps the hold to the claim budget', async () => {
    const parked = new ParkedClaims(queue().claim);
    parked.close();
    const now = performance.now();
    await expect(parked.park(req(), now, now + 5_000)).resolves.toEqual({ tasks: [] });
    expect(ParkedClaims.holdMs(req({ waitMs: 1_000 }), 4_000)).toBe(1_000);
    expect(ParkedClaims.holdMs(req({ waitMs: 1_000 }), 1_200)).toBe(700);
    expect(ParkedClaims.holdMs(req({ waitMs: 1_000 }), 300)).toBe(0);
    expect(ParkedClaims.holdMs(req({ waitMs: 0 }), 4_000)).toBe(0);
    expect(ParkedClaims.holdMs(req({ waitMs: undefined }), undefined)).toBe(0);
  });
});

describe('ParkedClaims.drop', () => {
  it('answers a held claim its runner gave up on empty, and it is never served', async () => {
    const q = queue();
    const parked = new ParkedClaims(q.claim);
    const now = performance.now();
    const answer = parked.park(req({ claimId: 'c1' }), now, now + 5_000);
    await parked.drop(['c1']);
    await expect(answer).resolves.toEqual({ tasks: [] });
    q.ready.push('a');
    parked.wake();
    await tick();
    expect(q.calls).toEqual([]);
    expect(q.ready).toEqual(['a']);
  });

  it('waits for a held claim being served, so the hand-back after it sees its leases', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let committed = false;
    const parked = new ParkedClaims(async () => {
      await gate;
      committed = true;
      return { tasks: [task('a')] };
    });
    const now = performance.now();
    const answer = parked.park(req({ claimId: 'c1' }), now, now + 5_000);
    parked.wake();
    const dropped = parked.drop(['c1']).then(() => committed);
    release();
    await expect(dropped).resolves.toBe(true);
    await expect(answer).resolves.toEqual({ tasks: [task('a')] });
  });
  it('makes a hand-back wait for a claim of its id being answered at once, and holds no claim of a handed-back id', async () => {
    const parked = new ParkedClaims(queue().claim);
    let answer!: (r: { tasks: ClaimedTaskV1[] }) => void;
    const answering = parked.track('c1', new Promise<{ tasks: ClaimedTaskV1[] }>((r) => (answer = r)));
    let dropped = false;
    const drop = parked.drop(['c1']).then(() => (dropped = true));
    await tick();
    // The claim is still being answered: the hand-back waits, so it will see what the claim leased.
    expect(dropped).toBe(false);
    answer({ tasks: [task('a')] });
    await drop;
    await expect(answering).resolves.toEqual({ tasks: [task('a')] });
    // From now on a claim of that id leases nothing: it is answered empty instead of held.
    expect(parked.gaveUp('c1')).toBe(true);
    expect(parked.gaveUp('c2')).toBe(false);
    const now = performance.now();
    await expect(parked.park(req({ claimId: 'c1' }), now, now + 5_000)).resolves.toEqual({ tasks: [] });
    expect(parked.size).toBe(0);
  });
});
