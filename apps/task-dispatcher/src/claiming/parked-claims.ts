import type { ClaimedTaskV1, ClaimTasksV1 } from '@juggernaut/contracts';

type ClaimReply = { tasks: ClaimedTaskV1[] };

interface Parked {
  req: ClaimTasksV1;
  receivedAt: number;
  /** performance.now() past which it is answered empty. */
  until: number;
  /** Claims of the same shape see the same tasks: one that came back short says the others would too. */
  shape: string;
  timer?: NodeJS.Timeout;
  resolve: (reply: ClaimReply) => void;
  reject: (e: unknown) => void;
}

/** Time kept back from a parked claim's budget for the claim that serves it and the answer's way back. */
const SERVE_RESERVE_MS = 500;
/** How long a claim id handed back is remembered: well past any runner's claim timeout. */
const GIVEN_UP_MS = 120_000;

/**
 * Claims that found nothing, held at the dispatcher (long polling) until work arrives: a submission,
 * a release or anything else that wakes the runners runs the held claims again at once, in arrival
 * order, so a task reaches a waiting runner in one hop (submit → dispatcher → the runner's claim
 * answered) instead of three (submit, wake signal, claim request). A held claim is answered empty
 * when its wait is up (its runner then claims again), when the dispatcher stops, and never later
 * than its budget allows (the claim that serves it still commits well before the runner gives up).
 * Only this replica's wakes reach its held claims; runners also keep their polling fallback.
 */
export class ParkedClaims {
  private parked: Parked[] = [];
  /** Claims being answered right now (claimed at once, served while held or handed work), by claim id. */
  private readonly inFlight = new Map<string, Promise<unknown>>();
  /** Claim ids their runners handed back (gave up on), with when: such a claim leases nothing more. */
  private readonly givenUp = new Map<string, number>();
  private serving?: Promise<void>;
  private again = false;
  private closed = false;

  constructor(private readonly claim: (req: ClaimTasksV1, receivedAt: number) => Promise<ClaimReply>) {}

  get size(): number {
    return this.parked.length;
  }

  /** How long a claim that found nothing may be held, from when it arrived; 0: answer it now. */
  static holdMs(req: ClaimTasksV1, budgetMs: number | undefined): number {
    const wanted = req.waitMs ?? 0;
    if (wanted <= 0) return 0;
    return Math.max(0, Math.min(wanted, budgetMs === undefined ? wanted : budgetMs - SERVE_RESERVE_MS));
  }

  /** True when the claim's runner has handed it back: it must lease nothing. */
  gaveUp(claimId: string | undefined): boolean {
    return claimId !== undefined && this.givenUp.has(claimId);
  }

  /**
   * Counts a claim as being answered until `answering` settles — at once when it arrives, served
   * while held, or handed work — so a hand-back of its id that arrives meanwhile waits for it and
   * hands back what it leased.
   */
  async track<T>(claimId: string | undefined, answering: Promise<T>): Promise<T> {
    if (claimId === undefined) return answering;
    this.inFlight.set(claimId, answering);
    try {
      return await answering;
    } finally {
      if (this.inFlight.get(claimId) === answering) this.inFlight.delete(claimId);
    }
  }

  /** Holds a claim that found nothing until work arrives or `until` (performance.now() time) passes. */
  park(req: ClaimTasksV1, receivedAt: number, until: number): Promise<ClaimReply> {
    if (this.closed || until <= performance.now() || this.gaveUp(req.claimId)) return Promise.resolve({ tasks: [] });
    return new Promise((resolve, reject) => {
      const p: Parked = {
        req,
        receivedAt,
        until,
        shape: JSON.stringify([[...req.types].sort(), req.level, [...req.capabilities].sort()]),
        resolve,
        reject,
      };
      this.hold(p);
    });
  }

  /** Work may have arrived: runs the held claims again (a wake during a round runs one more after it). */
  wake(): void {
    if (this.parked.length === 0) return;
    if (this.serving) {
      this.again = true;
      return;
    }
    this.serving = this.serve().finally(() => {
      this.serving = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /**
   * Hands work to the first held claim (in arrival order) that `matches`: `lease` writes the lease
   * and answers the claim, or answers undefined (nothing leased: the claim is held again) — a
   * submission handed straight to a waiting runner. True when a claim was answered with work. While
   * `lease` runs the claim counts as being served, so a runner giving up on it (`drop`) waits for it.
   */
  async handOff(
    matches: (req: ClaimTasksV1) => boolean,
    lease: (req: ClaimTasksV1, receivedAt: number) => Promise<ClaimReply | undefined>,
  ): Promise<boolean> {
    const p = this.parked.find((x) => matches(x.req));
    if (!p) return false;
    this.parked = this.parked.filter((x) => x !== p);
    clearTimeout(p.timer);
    let reply: ClaimReply | undefined;
    try {
      reply = await this.track(p.req.claimId, lease(p.req, p.receivedAt));
    } catch (e) {
      this.hold(p);
      throw e;
    }
    if (reply && reply.tasks.length > 0) {
      p.resolve(reply);
      return true;
    }
    this.hold(p);
    return false;
  }

  /**
   * The runner gave up on these claims (no answer in time; it is handing their leases back): held
   * ones are answered empty, never served, and one being answered is waited for, so the hand-back
   * that follows sees what it leased; from now on a claim of these ids leases nothing (one still
   * arriving, or one that comes back empty and would be held again). A claim held past its runner's
   * patience happens when the dispatcher stalled (frozen, overloaded) while the request waited to be read.
   */
  async drop(claimIds: string[]): Promise<void> {
    if (claimIds.length === 0) return;
    const now = performance.now();
    for (const [id, at] of this.givenUp) if (now - at > GIVEN_UP_MS) this.givenUp.delete(id);
    for (const id of claimIds) this.givenUp.set(id, now);
    const ids = new Set(claimIds);
    for (const p of this.parked.filter((x) => x.req.claimId !== undefined && ids.has(x.req.claimId))) {
      this.parked = this.parked.filter((x) => x !== p);
      clearTimeout(p.timer);
      p.resolve({ tasks: [] });
    }
    await Promise.allSettled(claimIds.map((id) => this.inFlight.get(id)).filter((w) => w !== undefined));
  }

  /** Answers every held claim empty; claims from now on are not held. */
  close(): void {
    this.closed = true;
    for (const p of this.parked.splice(0)) {
      clearTimeout(p.timer);
      p.resolve({ tasks: [] });
    }
  }

  private hold(p: Parked): void {
    const left = p.until - performance.now();
    if (this.closed || left <= 0 || this.gaveUp(p.req.claimId)) return p.resolve({ tasks: [] });
    p.timer = setTimeout(() => {
      this.parked = this.parked.filter((x) => x !== p);
      p.resolve({ tasks: [] });
    }, left);
    this.parked.push(p);
  }

  private async serve(): Promise<void> {
    const short = new Set<string>();
    for (const p of [...this.parked]) {
      if (short.has(p.shape) || !this.parked.includes(p)) continue;
      this.parked = this.parked.filter((x) => x !== p);
      clearTimeout(p.timer);
      let reply: ClaimReply;
      try {
        reply = await this.track(p.req.claimId, this.claim(p.req, p.receivedAt));
      } catch (e) {
        p.reject(e);
        continue;
      }
      if (reply.tasks.length < p.req.max) short.add(p.shape);
      if (reply.tasks.length > 0) p.resolve(reply);
      else this.hold(p);
    }
  }
}
