import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { MAX_MINOR, MAX_NAME, MAX_TEXT } from '../common/validation';

export const GOAL_STATUSES = ['active', 'achieved', 'abandoned'] as const;
export type GoalStatus = (typeof GOAL_STATUSES)[number];

export class CreateGoalDto {
  @ApiProperty({ example: 'First $1,000 of monthly recurring revenue' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  title!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  description?: string;

  @ApiProperty({
    type: [String],
    example: ['MRR >= 100000 minor units for 2 consecutive months'],
    description: 'How anyone can tell the goal is met.',
  })
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(2000, { each: true })
  successCriteria!: string[];

  @ApiPropertyOptional({ example: 250000, description: 'Budget in minor units of `currency`.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  budgetMinor?: number;

  @ApiPropertyOptional({ example: 'USD', default: 'USD' })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be an ISO 4217 code such as USD' })
  currency?: string;

  @ApiPropertyOptional({ description: 'When the goal should be met (ISO 8601).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  dueAt?: string;
}

export class UpdateGoalDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  title?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  description?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(2000, { each: true })
  successCriteria?: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_MINOR)
  budgetMinor?: number;

  @ApiPropertyOptional({ enum: GOAL_STATUSES })
  @IsOptional()
  @IsIn(GOAL_STATUSES)
  status?: GoalStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601({ strict: true })
  dueAt?: string;
}

export class GoalV1 {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ type: [String] }) successCriteria!: string[];
  @ApiProperty({ nullable: true, type: Number }) budgetMinor!: number | null;
  @ApiProperty() currency!: string;
  @ApiProperty({ enum: GOAL_STATUSES }) status!: GoalStatus;
  @ApiProperty({ nullable: true, type: String }) dueAt!: string | null;
  @ApiProperty() createdBy!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

/** `juggernaut.goal.get.v1`: a goal, for workers that plan against it. */
export class GoalIdV1 {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  id!: string;
}
