/**
 * The other dispatcher replicas as this one hears them (their presence signals, times as
 * performance.now() readings in ms). A replica that falls silent — frozen, starved, cut off — may be
 * holding runners' heartbeats and result reports unanswered (the queue group gives it its share of
 * them), so while one is silent this replica's reaper holds back, as it does after its own stall;
 * silent for longer than `goneAfterMs` it is taken for gone (crashed: NATS no longer routes anything
 * to it) and forgotten. One that speaks again after a silence answers what waited for it: the caller
 * restarts its grace.
 */
export class PeerWatch {
  private readonly peers = new Map<string, { lastSeen: number; silentAfterMs: number }>();

  constructor(private readonly goneAfterMs: number) {}

  /** Silent after three of its own intervals unheard, and never sooner than a second. */
  static silentAfterMs(intervalMs: number): number {
    return Math.max(1_000, 3 * intervalMs);
  }

  /**
   * A peer's presence signal. Returns true when the peer speaks again after being silent (its
   * runners' requests that waited for it are being answered now); a peer that leaves is forgotten.
   */
  heard(origin: string, intervalMs: number, now: number, leaving = false): boolean {
    const known = this.peers.get(origin);
    if (leaving) {
      this.peers.delete(origin);
      return false;
    }
    this.peers.set(origin, { lastSeen: now, silentAfterMs: PeerWatch.silentAfterMs(intervalMs) });
    return known !== undefined && now - known.lastSeen > known.silentAfterMs;
  }

  /** Whether some peer is silent now (and not yet taken for gone); forgets the gone ones. */
  silent(now: number): boolean {
    let silent = false;
    for (const [origin, p] of this.peers) {
      const quiet = now - p.lastSeen;
      if (quiet > p.silentAfterMs + this.goneAfterMs) this.peers.delete(origin);
      else if (quiet > p.silentAfterMs) silent = true;
    }
    return silent;
  }
}
