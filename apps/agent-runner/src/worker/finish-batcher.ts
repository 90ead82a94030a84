import { Subjects, type TaskResultV1 } from '@juggernaut/contracts';
import type { Bus } from '@juggernaut/messaging';

type Outcome = { accepted: boolean; reason?: string };

/**
 * Sends task results to the dispatcher in batches: results that finish within the same tick share
 * one request and one transaction. Each caller learns whether its own result was accepted.
 */
export class FinishBatcher {
  private queue: Array<{ result: TaskResultV1; resolve: (o: Outcome) => void; reject: (e: unknown) => void }> = [];
  private scheduled = false;

  constructor(
    private readonly bus: Bus,
    private readonly workerId: string,
    private readonly maxBatch = 256,
  ) {}

  submit(result: TaskResultV1): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ result, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    this.bus
      .request(Subjects.taskFinish, { workerId: this.workerId, results: batch.map((b) => b.result) }, 10_000)
      .then((reply) => {
        const rejected = new Map(reply.rejected.map((r) => [r.taskId, r.reason]));
        for (const b of batch) {
          const reason = rejected.get(b.result.taskId);
          b.resolve(reason ? { accepted: false, reason } : { accepted: true });
        }
      }, (e: unknown) => {
        for (const b of batch) b.reject(e);
      });
    if (this.queue.length > 0) setImmediate(() => this.flush());
  }
}
