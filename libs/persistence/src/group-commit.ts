interface Waiting<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit (the ledger's postings, the experiment tracker's exposures and conversions): callers
 * submit one item each and wait; items that arrive while flushes are running are written together by
 * the next flush, so a busy stream becomes large batches (one database transaction each) and a quiet
 * one is written at once. Up to `maxFlushes` run at a time, so one
 * batch is prepared and sent while the previous one commits.
 */
export class GroupCommit<T, R> {
  private queue: Array<Waiting<T, R>> = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly maxBatch: number,
    private readonly maxFlushes = 1,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.running >= this.maxFlushes || this.scheduled) return;
    this.scheduled = true;
    // Let the messages already delivered in this turn of the event loop join the batch.
    setImmediate(() => {
      this.scheduled = false;
      while (this.running < this.maxFlushes && this.queue.length > 0) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running++;
    const batch = this.queue.splice(0, this.maxBatch);
    try {
      const results = await this.flush(batch.map((w) => w.item));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (e) {
      for (const w of batch) w.reject(e);
    } finally {
      this.running--;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
