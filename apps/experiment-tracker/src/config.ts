import { DatabaseEnv, ToInt } from '@juggernaut/config';
import { IsInt, Max, Min } from 'class-validator';

export class ExperimentsEnv extends DatabaseEnv {
  /** How often the rules (stop-loss, conclusion) run over every running experiment, and the allocation is redone. */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(86_400_000)
  EXPERIMENTS_EVALUATE_INTERVAL_MS = 60_000;

  /** Posterior draws per experiment for the Thompson sampling allocation. */
  @ToInt()
  @IsInt()
  @Min(100)
  @Max(1_000_000)
  EXPERIMENTS_ALLOCATION_DRAWS = 10_000;
}
