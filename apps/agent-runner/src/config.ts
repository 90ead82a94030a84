import { BaseEnv } from '@juggernaut/config';

/** agent-runner is stateless: no database, only NATS. */
export class RunnerEnv extends BaseEnv {}
