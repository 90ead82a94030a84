import { argsHash, canonicalJson } from './canonical-json';

describe('canonical JSON', () => {
  it('sorts keys at every depth so equal arguments hash equally', () => {
    const a = { url: 'https://x.test', opts: { b: 2, a: [1, { z: 1, y: 2 }] } };
    const b = { opts: { a: [1, { y: 2, z: 1 }], b: 2 }, url: 'https://x.test' };
    expect(canonicalJson(a)).toBe('{"opts":{"a":[1,{"y":2,"z":1}],"b":2},"url":"https://x.test"}');
    expect(argsHash(a)).toBe(argsHash(b));
  });

  it('tells different arguments apart', () => {
    expect(argsHash({ amount: 100 })).not.toBe(argsHash({ amount: 101 }));
    expect(argsHash({ a: '1' })).not.toBe(argsHash({ a: 1 }));
    expect(argsHash([1, 2])).not.toBe(argsHash([2, 1]));
  });
});
