import { hostname } from 'node:os';
import type { DevBotEnv } from '../config';

/** This process's worker id: in the task queue, the execution log and the registry. */
export function workerIdOf(config: DevBotEnv): string {
  return `dev-bot:${config.HOSTNAME ?? hostname()}:${process.pid}`;
}
