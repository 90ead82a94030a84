import { Body, Controller, Delete, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { ApiKeysService, type ApiKeyView } from './api-keys.service';
import { CurrentCaller } from './caller.decorator';
import { type Caller, type Role, ROLES, Roles } from './roles';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'grafana-reader' }) @IsString() @IsNotEmpty() @MaxLength(200)
  name!: string;

  @ApiProperty({ enum: ROLES }) @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({ description: 'When the key stops working (ISO 8601).' }) @IsOptional() @IsISO8601({ strict: true })
  expiresAt?: string;
}

@ApiTags('api-keys')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @Roles('admin')
  @ApiCreatedResponse({ description: 'The key itself is in `key` and is shown only in this response.' })
  create(@Body() body: CreateApiKeyDto, @CurrentCaller() caller: Caller): Promise<ApiKeyView & { key: string }> {
    return this.keys.create(body, caller);
  }

  @Get()
  @Roles('admin')
  list(): Promise<ApiKeyView[]> {
    return this.keys.list();
  }

  @Delete(':id')
  @Roles('admin')
  revoke(@Param('id', new ParseUUIDPipe()) id: string): Promise<ApiKeyView> {
    return this.keys.revoke(id);
  }

  @Post(':id/rotate')
  @Roles('admin')
  rotate(@Param('id', new ParseUUIDPipe()) id: string, @CurrentCaller() caller: Caller): Promise<ApiKeyView & { key: string }> {
    return this.keys.rotate(id, caller);
  }
}
