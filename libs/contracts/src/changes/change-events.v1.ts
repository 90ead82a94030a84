import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, IsUUID } from 'class-validator';

export class ChangeEventV1 {
  @ApiProperty({ format: 'uuid' }) @IsUUID()
  changeId!: string;

  @ApiProperty() @IsString()
  repository!: string;

  @ApiProperty({ example: 'juggernaut/1f2e-add-retry' }) @IsString()
  branch!: string;

  @ApiProperty({ example: 'main' }) @IsString()
  targetBranch!: string;

  @ApiPropertyOptional() @IsOptional() @IsString()
  pullRequestUrl?: string;

  @ApiPropertyOptional({ description: 'Merge commit, when merged.' }) @IsOptional() @IsString()
  commit?: string;

  @ApiProperty() @IsISO8601()
  at!: string;
}
