/**
 * A wake-up for a loop that sleeps between rounds. A wake that arrives while the loop is busy (mid
 * claim) is kept, so the next sleep returns at once and no wake-up is lost.
 */
export class WakeSignal {
  private resolveSleep?: () => void;
  private pending = false;

  wake(): void {
    const r = this.resolveSleep;
    this.resolveSleep = undefined;
    if (r) r();
    else this.pending = true;
  }

  /** Sleeps up to `ms`, or until woken. */
  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.resolveSleep = undefined;
        resolve();
      }, ms);
      this.resolveSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
