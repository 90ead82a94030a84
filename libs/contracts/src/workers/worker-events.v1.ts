import { ApiProperty } from '@nestjs/swagger';
import { IsArray, IsInt, IsISO8601, IsNotEmpty, IsString, Max, Min } from 'class-validator';

export class WorkerPresenceV1 {
  @ApiProperty({ example: 'agent-runner-7d9f-abcde' })
  @IsString()
  @IsNotEmpty()
  workerId!: string;

  @ApiProperty({ minimum: 1, maximum: 5 })
  @IsInt()
  @Min(1)
  @Max(5)
  level!: number;

  @ApiProperty({ type: [String] })
  @IsArray()
  @IsString({ each: true })
  capabilities!: string[];

  @ApiProperty()
  @IsString()
  reason!: string;

  @ApiProperty()
  @IsISO8601()
  at!: string;
}
