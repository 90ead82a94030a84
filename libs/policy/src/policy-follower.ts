import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { PolicyDocumentV1, Subjects } from '@juggernaut/contracts';
import { Bus, validatePayload } from '@juggernaut/messaging';
import { LOGGER } from '@juggernaut/service-kit';
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';

/** How long to wait between asks while no policy is known, and between refreshes once one is. */
export const POLICY_RETRY_MS = 1_000;
export const POLICY_REFRESH_MS = 15_000;

type Listener = (doc: PolicyDocumentV1, previous: PolicyDocumentV1 | undefined) => void;

/**
 * The policy in force, as this process knows it — the one follower every service uses.
 *
 * - It trusts only what governance answers to `juggernaut.policy.get.v1`. A `policy.changed` push is
 *   a hint to ask again at once, never applied as it came: a forged or stale push (say, one with a
 *   version far above governance's) can neither change the policy nor freeze later ones.
 * - Answers are applied in the order the questions were asked; an older question's late answer is
 *   dropped once a newer one has been applied.
 * - Until the first answer, `known` is false: callers fail closed (the dispatcher hands out
 *   nothing, workers claim nothing, budgets refuse). It asks every second until governance answers,
 *   then every 15 s to catch a lost push.
 */
@Injectable()
export class PolicyFollower implements OnApplicationBootstrap, OnModuleDestroy {
  private doc: PolicyDocumentV1 | undefined;
  private sub?: Subscription;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private asked = 0;
  private applied = 0;
  private inFlight?: Promise<void>;
  private askAgain = false;
  private readonly listeners = new Set<Listener>();
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly bus: Bus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.sub = this.bus.listen(Subjects.policyChanged, () => void this.refresh());
    void this.refresh();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.sub?.unsubscribe();
    for (const w of this.waiters) w();
  }

  get current(): PolicyDocumentV1 | undefined {
    return this.doc;
  }

  get known(): boolean {
    return this.doc !== undefined;
  }

  /** Engaged, or not known yet: in both cases nothing may be handed out or run. */
  get killSwitchEngaged(): boolean {
    return this.doc?.killSwitch.engaged !== false;
  }

  get stopReason(): string {
    if (!this.doc) return 'policy not known yet (governance-api has not answered)';
    return `kill switch engaged${this.doc.killSwitch.reason ? `: ${this.doc.killSwitch.reason}` : ''}`;
  }

  /** Called with every policy that differs from the one before (the first one included). */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The policy, asking governance first if none is known; undefined when it does not answer in time. */
  async ensure(timeoutMs = 3_000): Promise<PolicyDocumentV1 | undefined> {
    if (this.doc || this.stopped) return this.doc;
    void this.refresh();
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
    return this.doc;
  }

  /** Asks governance now (one question at a time; a request made meanwhile asks once more after it). */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.inFlight) {
      this.askAgain = true;
      return this.inFlight;
    }
    this.inFlight = this.ask().finally(() => {
      this.inFlight = undefined;
      if (this.askAgain && !this.stopped) {
        this.askAgain = false;
        void this.refresh();
      }
    });
    return this.inFlight;
  }

  private async ask(): Promise<void> {
    const seq = ++this.asked;
    try {
      const answer = await this.bus.request(Subjects.policyGet, {}, 2_000);
      const checked = validatePayload(PolicyDocumentV1, answer);
      if (!checked.ok) throw new Error(`governance answered an invalid policy: ${checked.reason}`);
      if (seq > this.applied) this.apply(checked.value, seq);
    } catch (e) {
      if (!this.stopped) {
        const level = this.doc ? 'debug' : 'warn';
        this.logger[level](
          { reason: (e as Error).message },
          this.doc
            ? 'could not refresh the policy'
            : 'policy not known yet; nothing is handed out or run until governance-api answers',
        );
      }
    } finally {
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), this.doc ? POLICY_REFRESH_MS : POLICY_RETRY_MS);
    this.timer.unref();
  }

  private apply(doc: PolicyDocumentV1, seq: number): void {
    this.applied = seq;
    const previous = this.doc;
    if (previous && previous.version === doc.version && JSON.stringify(previous) === JSON.stringify(doc)) return;
    this.doc = doc;
    if (!previous || previous.killSwitch.engaged !== doc.killSwitch.engaged) {
      this.logger.info(
        { version: doc.version, killSwitch: doc.killSwitch.engaged },
        previous ? 'kill switch changed' : 'policy known',
      );
    }
    for (const w of this.waiters) w();
    for (const l of this.listeners) {
      try {
        l(doc, previous);
      } catch (e) {
        this.logger.error({ err: e }, 'a policy listener failed');
      }
    }
  }
}
