import { RpcError } from '@juggernaut/messaging';
import { RequestError } from '@nats-io/transport-node';
import { onReconnect, untilAnswered } from './until-answered';

/**
 * The retry loop of every report a worker owes the dispatcher. The sender here is a plain function
 * (no broker is involved in deciding when to send again); the NATS side is covered by the fault drills.
 */
describe('untilAnswered', () => {
  /** A sender that fails `failures` times with `error`, then answers `answer`. */
  function flaky<T>(failures: number, error: unknown, answer: T) {
    const sent: number[] = [];
    return {
      sent,
      send: () => {
        sent.push(performance.now());
        return sent.length <= failures ? Promise.reject(error) : Promise.resolve(answer);
      },
    };
  }

  /** A stand-in for the bus's connection watch: `change(up)` tells the listeners. */
  function connection() {
    const listeners = new Set<(up: boolean) => void>();
    return {
      listeners,
      onConnectionChange(l: (up: boolean) => void) {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      change(up: boolean) {
        for (const l of listeners) l(up);
      },
    };
  }

  it('sends again after a retryable failure and returns the answer', async () => {
    const s = flaky(2, new RequestError('timeout'), 'done');
    await expect(untilAnswered(s.send, { firstDelayMs: 1 })).resolves.toBe('done');
    expect(s.sent).toHaveLength(3);
  });

  it('does not send again after a refusal (4xx)', async () => {
    const s = flaky(1, new RpcError(409, 'lease gone'), 'never');
    await expect(untilAnswered(s.send, { firstDelayMs: 1 })).rejects.toThrow('lease gone');
    expect(s.sent).toHaveLength(1);
  });

  it('cuts a long wait short when the connection is back, then backs off from the start again, and lets go of the watch', async () => {
    const bus = connection();
    const s = flaky(2, new RequestError('connection lost'), 'done');
    // A minute's backoff: without the reconnect this would not answer within the test's time.
    const answered = untilAnswered(s.send, { firstDelayMs: 60_000, retryNow: onReconnect(bus) });
    await new Promise((r) => setTimeout(r, 20));
    expect(s.sent).toHaveLength(1);
    bus.change(false); // losing the connection changes nothing
    await new Promise((r) => setTimeout(r, 20));
    expect(s.sent).toHaveLength(1);
    bus.change(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.sent).toHaveLength(2);
    // The second failure waits again (the first delay, a minute): cut short by the next return.
    bus.change(true);
    await expect(answered).resolves.toBe('done');
    expect(s.sent).toHaveLength(3);
    expect(bus.listeners.size).toBe(0);
  });

  it('a return while a send is failing makes the next one go at once', async () => {
    const bus = connection();
    let sends = 0;
    const answered = untilAnswered(
      () => {
        sends++;
        if (sends === 1) {
          bus.change(true); // the connection comes back while this send is on its way
          return Promise.reject(new RequestError('connection lost'));
        }
        return Promise.resolve('done');
      },
      { firstDelayMs: 60_000, retryNow: onReconnect(bus) },
    );
    await expect(answered).resolves.toBe('done');
    expect(sends).toBe(2);
  });
});
