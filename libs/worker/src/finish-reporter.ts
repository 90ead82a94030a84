import { cutText, Subjects, type TaskResultV1, type TaskStatus } from '@juggernaut/contracts';
import type { Bus } from '@juggernaut/messaging';
import type { Logger } from 'pino';
import { onReconnect, untilAnswered } from './until-answered';

export interface FinishAnswer {
  accepted: boolean;
  /** The dispatcher had already applied this attempt's result (an earlier send whose answer was lost). */
  alreadyDone?: boolean;
  status?: TaskStatus;
  reason?: string;
}

interface Item {
  result: TaskResultV1;
  bytes: number;
  resolve: (a: FinishAnswer) => void;
  reject: (e: unknown) => void;
  /** True once the answer no longer matters (the lease was taken away, the worker gave up). */
  giveUp: () => boolean;
}

/** Room left in a message for the envelope, the worker id and headers. */
const ENVELOPE_BYTES = 4_096;

/**
 * Reports task results to the dispatcher. Results finishing within the same tick share one request
 * (and one transaction), split so no request exceeds the NATS payload limit; a result too large to
 * send at all is reported as a failure that says so. Each batch is sent until it is answered — the
 * dispatcher answers a repeated result of an attempt it already applied as already done — so a
 * finished result survives a dispatcher restart, a NATS reconnect or a database outage.
 */
export class FinishReporter {
  private queue: Item[] = [];
  private scheduled = false;
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly bus: Bus,
    private readonly workerId: string,
    private readonly logger: Logger,
    private readonly maxBatch = 256,
  ) {}

  /** The largest message the server takes. */
  private get maxBytes(): number {
    return (this.bus.nc.info?.max_payload ?? 1_048_576) - ENVELOPE_BYTES;
  }

  submit(result: TaskResultV1, giveUp: () => boolean = () => false): Promise<FinishAnswer> {
    let r: TaskResultV1 = result.error !== undefined ? { ...result, error: cutText(result.error) } : result;
    let bytes = Buffer.byteLength(JSON.stringify(r));
    if (bytes > this.maxBytes) {
      r = {
        taskId: result.taskId,
        claimToken: result.claimToken,
        outcome: 'failed',
        retryable: false,
        error: `result too large to report: ${bytes} bytes, over the ${this.maxBytes}-byte message limit`,
      };
      bytes = Buffer.byteLength(JSON.stringify(r));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ result: r, bytes, resolve, reject, giveUp });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Waits for every report in flight (bounded by the caller). */
  async settled(): Promise<void> {
    while (this.queue.length || this.inflight.size) {
      if (this.queue.length) this.flush();
      await Promise.allSettled([...this.inflight]);
    }
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length) {
      const batch: Item[] = [];
      let bytes = 0;
      while (
        this.queue.length &&
        batch.length < this.maxBatch &&
        (batch.length === 0 || bytes + this.queue[0]!.bytes <= this.maxBytes)
      ) {
        const item = this.queue.shift()!;
        bytes += item.bytes + 1;
        batch.push(item);
      }
      const sending = this.send(batch).finally(() => this.inflight.delete(sending));
      this.inflight.add(sending);
    }
  }

  private async send(batch: Item[]): Promise<void> {
    let wanted = batch;
    try {
      const reply = await untilAnswered(
        () => {
          wanted = wanted.filter((i) => !i.giveUp());
          if (wanted.length === 0) return Promise.resolve(undefined);
          return this.bus.request(
            Subjects.taskFinish,
            { workerId: this.workerId, results: wanted.map((i) => i.result) },
            10_000,
          );
        },
        {
          giveUp: () => wanted.every((i) => i.giveUp()),
          retryNow: onReconnect(this.bus),
          onRetry: (e, attempt) => {
            if (attempt === 1 || attempt % 10 === 0)
              this.logger.warn(
                { err: e, tasks: wanted.length, attempt },
                'could not report results yet; retrying until the dispatcher answers',
              );
          },
        },
      );
      const accepted = new Map((reply?.accepted ?? []).map((a) => [a.taskId, a]));
      const rejected = new Map((reply?.rejected ?? []).map((r) => [r.taskId, r.reason]));
      for (const item of batch) {
        const a = accepted.get(item.result.taskId);
        if (a) item.resolve({ accepted: true, status: a.status, ...(a.alreadyDone ? { alreadyDone: true } : {}) });
        else
          item.resolve({
            accepted: false,
            reason: rejected.get(item.result.taskId) ?? 'not reported: the lease was given up',
          });
      }
    } catch (e) {
      for (const item of batch) item.reject(e);
    }
  }
}
