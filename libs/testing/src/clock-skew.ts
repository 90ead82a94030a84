/**
 * Moves this process's wall clock (`Date.now()` and `new Date()`) by `offsetMs`, as a host whose
 * clock drifted from the database's would see it; timers and monotonic time are untouched.
 * Returns the function that puts the real clock back.
 */
export function skewClock(offsetMs: number): () => void {
  const RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + offsetMs);
      else super(...(args as [string | number | Date]));
    }

    static override now(): number {
      return RealDate.now() + offsetMs;
    }
  }
  globalThis.Date = SkewedDate as DateConstructor;
  return () => {
    globalThis.Date = RealDate;
  };
}
