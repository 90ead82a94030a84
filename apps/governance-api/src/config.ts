import { DatabaseEnv, Secret, ToInt } from '@juggernaut/config';
import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';

export class GovernanceEnv extends DatabaseEnv {
  /** Bootstrap admin API key; when unset and no admin key exists, one is generated and printed once. */
  @IsOptional() @IsString() @MinLength(24, { message: 'JUGGERNAUT_ADMIN_KEY must be at least 24 characters' }) @Secret()
  JUGGERNAUT_ADMIN_KEY?: string;

  /** A worker whose heartbeats stop for this long is marked offline. */
  @ToInt() @IsInt() @Min(300) @Max(3_600_000)
  JUGGERNAUT_WORKER_SILENT_MS = 15_000;
}
