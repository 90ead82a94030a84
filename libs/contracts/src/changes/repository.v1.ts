import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsBoolean,
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { MAX_NAME } from '../common/validation';

/** A repository name: how changes and the API refer to it. */
export const REPOSITORY_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;
/** A git branch name Juggernaut accepts (no spaces, no `..`, no leading `-` or `/`). */
export const BRANCH_NAME = /^(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}(?<![./])$/;
export const FORGE_KINDS = ['local', 'github'] as const;
export type ForgeKind = (typeof FORGE_KINDS)[number];

/** One command the repository's checks run (with `sh -c`, in the change's workspace). */
export class CheckCommandV1 {
  @ApiProperty({ example: 'test' })
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,50}$/, { message: 'checks[].name must be 1 to 50 letters, digits, ".", "_" or "-"' })
  name!: string;

  @ApiProperty({ example: 'npm test' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2_000)
  command!: string;
}

/** Overrides of the default gate policy for one repository; what is left out keeps the default. */
export class GatePolicyOverridesV1 {
  @ApiPropertyOptional({ description: 'Most changed lines (added + removed) a change may have.', example: 400 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  maxChangedLines?: number;

  @ApiPropertyOptional({ description: 'Most files a change may touch.', example: 20 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  maxFiles?: number;

  @ApiPropertyOptional({
    type: [String],
    description: 'Globs whose change needs a human approval (replace the defaults).',
    example: ['.github/**', 'k8s/**'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MaxLength(500, { each: true })
  protectedPaths?: string[];

  @ApiPropertyOptional({
    type: [String],
    description: 'Globs a change may never touch (replace the defaults).',
    example: ['**/*.pem'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MaxLength(500, { each: true })
  deniedPaths?: string[];

  @ApiPropertyOptional({
    default: true,
    description:
      'Every merge waits for a human approval. Set false to let a change that passes every gate (checks, size, paths, secrets, test tampering, the reviewer) merge on its own.',
  })
  @IsOptional()
  @IsBoolean()
  mergeRequiresApproval?: boolean;
}

/** Where pull requests are opened: the local forge (a record with its diff) or GitHub (token from DEVBOT_GITHUB_TOKEN). */
export class ForgeConfigV1 {
  @ApiProperty({ enum: FORGE_KINDS })
  @IsIn(FORGE_KINDS)
  kind!: ForgeKind;

  @ApiPropertyOptional({ example: 'acme/shop', description: 'owner/name on GitHub; required for the github forge.' })
  @ValidateIf((o: ForgeConfigV1) => o.kind === 'github' || o.repository !== undefined)
  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, { message: 'forge.repository must be owner/name' })
  repository?: string;
}

/** `juggernaut.repository.register.v1`: registers a repository (or replaces its settings). */
export class RegisterRepositoryV1 {
  @ApiProperty({ example: 'shop' })
  @IsString()
  @Matches(REPOSITORY_NAME, { message: 'name must be lower-case letters, digits, ".", "_" or "-" (at most 100)' })
  name!: string;

  @ApiProperty({
    example: 'https://github.com/acme/shop.git',
    description: 'What git clones and pushes to (a URL or a path to a bare repository).',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2_000)
  @Matches(/^[^\s-][^\s]*$/, { message: 'cloneUrl must be a URL or path without spaces, not starting with "-"' })
  @Matches(/^(?![A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@]*@)/, {
    message: 'cloneUrl must not carry credentials (the GitHub token comes from DEVBOT_GITHUB_TOKEN)',
  })
  cloneUrl!: string;

  @ApiPropertyOptional({ example: 'main', default: 'main' })
  @IsOptional()
  @IsString()
  @Matches(BRANCH_NAME, { message: 'defaultBranch must be a git branch name' })
  defaultBranch?: string;

  @ApiPropertyOptional({
    type: [CheckCommandV1],
    description: 'Run in order in the workspace; the first failure stops them.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => CheckCommandV1)
  checks?: CheckCommandV1[];

  @ApiPropertyOptional({ type: GatePolicyOverridesV1 })
  @IsOptional()
  @ValidateNested()
  @Type(() => GatePolicyOverridesV1)
  gatePolicy?: GatePolicyOverridesV1;

  @ApiPropertyOptional({ type: ForgeConfigV1, description: 'Default: the local forge.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ForgeConfigV1)
  forge?: ForgeConfigV1;
}

/** `juggernaut.repository.get.v1`. */
export class RepositoryNameV1 {
  @ApiProperty({ example: 'shop' })
  @IsString()
  @Matches(REPOSITORY_NAME, { message: 'name must be a repository name' })
  @MaxLength(MAX_NAME)
  name!: string;
}

export class RepositoryV1 {
  @ApiProperty() name!: string;
  @ApiProperty() cloneUrl!: string;
  @ApiProperty() defaultBranch!: string;
  @ApiProperty({ type: [CheckCommandV1] }) checks!: CheckCommandV1[];
  @ApiProperty({ type: GatePolicyOverridesV1 }) gatePolicy!: GatePolicyOverridesV1;
  @ApiProperty({ type: ForgeConfigV1 }) forge!: ForgeConfigV1;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}
