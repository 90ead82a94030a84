import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { MAX_NAME, MAX_TEXT } from '../common/validation';
import { TaskHistoryEntryV1, TaskViewV1 } from '../tasks/dispatch.v1';

/** The answer of a delete by name. */
export class DeletedResponse {
  @ApiProperty({ description: 'Whether something was deleted (false: there was nothing of that name).' })
  deleted!: boolean;
}

/** The body of POST /tasks/{id}/cancel. */
export class CancelTaskDto {
  @ApiPropertyOptional({ example: 'no longer needed' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

/** A task with every state change it went through (GET /tasks/{id}). */
export class TaskWithHistory extends TaskViewV1 {
  @ApiProperty({ type: [TaskHistoryEntryV1] }) history!: TaskHistoryEntryV1[];
}

/** The body of POST /experiments/{id}/stop. */
export class StopExperimentDto {
  @ApiPropertyOptional({ example: 'the offer was withdrawn' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_TEXT)
  reason?: string;
}

/** The query of GET /experiments/{id}/assignment. */
export class AssignmentQueryDto {
  @ApiProperty({ example: 'visitor-42', description: 'The unit (user, visitor, account) to assign.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME)
  unitId!: string;
}
