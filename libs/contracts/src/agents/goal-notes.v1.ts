import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { MAX_NAME, MAX_TEXT } from '../common/validation';

/** A note in a goal's shared memory: what one task learned, for every other task under the goal. */
export class AddGoalNoteDto {
  @ApiPropertyOptional({
    description: 'Topic key; a later note with the same key supersedes it when listing latest.',
    example: 'competitors',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[a-z0-9][a-z0-9_.-]*$/, { message: 'key must be lowercase letters, digits, ".", "_" or "-"' })
  key?: string;

  @ApiProperty({ example: 'Three hosted YAML linters exist; none validates Kubernetes CRDs.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT)
  content!: string;
}

export class AddGoalNoteV1 extends AddGoalNoteDto {
  @IsUUID()
  goalId!: string;

  @IsOptional()
  @IsUUID()
  taskId?: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  author!: string;

  /** Idempotency key: a retried write (e.g. a resumed task) stores the note once. */
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME)
  noteId?: string;
}

export class ListGoalNotesV1 {
  @IsUUID()
  goalId!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  key?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class GoalNoteV1 {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) goalId!: string;
  @ApiProperty({ nullable: true, type: String }) taskId!: string | null;
  @ApiProperty() author!: string;
  @ApiProperty({ nullable: true, type: String }) key!: string | null;
  @ApiProperty() content!: string;
  @ApiProperty() createdAt!: string;
}
