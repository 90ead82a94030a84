import { PeerWatch } from './peer-watch';

describe('PeerWatch', () => {
  it('a peer heard within three of its intervals is not silent; past them it is, until it is taken for gone', () => {
    const w = new PeerWatch(10_000);
    expect(w.heard('a', 500, 0)).toBe(false);
    expect(w.silent(1_400)).toBe(false);
    expect(w.silent(1_600)).toBe(true);
    expect(w.silent(11_400)).toBe(true);
    // Silent past its silence plus the grace: gone (crashed), forgotten, no longer holding anything.
    expect(w.silent(11_600)).toBe(false);
    // Heard again after being forgotten: a new peer, not one returning.
    expect(w.heard('a', 500, 12_000)).toBe(false);
  });

  it('a peer that speaks again after a silence says so (its waiting requests are being answered)', () => {
    const w = new PeerWatch(10_000);
    w.heard('a', 200, 0);
    expect(w.heard('a', 200, 900)).toBe(false); // within a second: not a silence
    expect(w.heard('a', 200, 7_900)).toBe(true); // frozen for 7 s
    expect(w.silent(8_000)).toBe(false);
  });

  it('a short interval still allows a second before a peer counts as silent', () => {
    expect(PeerWatch.silentAfterMs(100)).toBe(1_000);
    expect(PeerWatch.silentAfterMs(1_000)).toBe(3_000);
  });

  it('a peer that leaves is forgotten at once; one silent peer is enough to hold', () => {
    const w = new PeerWatch(10_000);
    w.heard('a', 500, 0);
    w.heard('b', 500, 0);
    w.heard('b', 500, 1_900);
    expect(w.silent(2_000)).toBe(true); // a is silent, b is not
    w.heard('a', 500, 2_100, true);
    expect(w.silent(2_200)).toBe(false);
  });
});
