import { GroupCommit } from './group-commit';

describe('group commit', () => {
  it('writes items that arrive during a flush together, in order, with at most one flush at a time', async () => {
    const batches: number[][] = [];
    let active = 0;
    let maxActive = 0;
    const gc = new GroupCommit<number, string>(async (items) => {
      active++;
      maxActive = Math.max(maxActive, active);
      batches.push(items);
      await new Promise((r) => setTimeout(r, 20));
      active--;
      return items.map((i) => `ok${i}`);
    }, 3);
    const results = await Promise.all(Array.from({ length: 7 }, (_, i) => gc.submit(i)));
    expect(results).toEqual(['ok0', 'ok1', 'ok2', 'ok3', 'ok4', 'ok5', 'ok6']);
    expect(batches).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(maxActive).toBe(1);
  });

  it('runs up to maxFlushes at once when the queue holds more than a batch', async () => {
    let active = 0;
    let maxActive = 0;
    const gc = new GroupCommit<number, number>(
      async (items) => {
        maxActive = Math.max(maxActive, ++active);
        await new Promise((r) => setTimeout(r, 20));
        active--;
        return items;
      },
      2,
      2,
    );
    expect(await Promise.all([1, 2, 3, 4, 5].map((i) => gc.submit(i)))).toEqual([1, 2, 3, 4, 5]);
    expect(maxActive).toBe(2);
  });

  it('rejects every caller of a failed flush and goes on with the next', async () => {
    let calls = 0;
    const gc = new GroupCommit<number, number>(async (items) => {
      if (calls++ === 0) throw new Error('db down');
      return items;
    }, 10);
    await expect(Promise.all([gc.submit(1), gc.submit(2)])).rejects.toThrow('db down');
    await expect(gc.submit(3)).resolves.toBe(3);
  });
});
