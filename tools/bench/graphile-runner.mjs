// A graphile-worker process for the dispatch benchmark: the peer Juggernaut is compared against.
// Runs the same work as Juggernaut's `noop` (optional sleep) and reports handler start times.
import { Logger, run } from 'graphile-worker';

const connectionString = process.env.DATABASE_URL;
const concurrency = Number(process.env.CONCURRENCY ?? 16);
const runner = await run({
  connectionString,
  concurrency,
  noHandleSignals: false,
  pollInterval: 1000,
  logger: new Logger(() => () => {}),
  taskList: {
    noop: async (payload) => {
      if (payload && payload.t0) process.send?.({ pickupMs: Date.now() - payload.t0 });
      if (payload && payload.sleepMs) await new Promise((r) => setTimeout(r, payload.sleepMs));
    },
  },
});
process.on('SIGTERM', () => runner.stop().then(() => process.exit(0)));
await runner.promise;
