import { DatabaseEnv, Secret } from '@juggernaut/config';
import { IsOptional, IsString, MinLength } from 'class-validator';

export class GovernanceEnv extends DatabaseEnv {
  /** Bootstrap admin API key; when unset and no admin key exists, one is generated and printed once. */
  @IsOptional() @IsString() @MinLength(24, { message: 'JUGGERNAUT_ADMIN_KEY must be at least 24 characters' }) @Secret()
  JUGGERNAUT_ADMIN_KEY?: string;
}
