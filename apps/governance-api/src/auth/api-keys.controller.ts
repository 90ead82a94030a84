import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { AuditedInHandler } from '../audit/audited.decorator';
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

export class SetKeyExpiryDto {
  @ApiProperty({ nullable: true, type: String, description: 'When the key stops working (ISO 8601); a past time expires it now; null removes the expiry.' })
  @ValidateIf((_, v) => v !== null) @IsISO8601({ strict: true })
  expiresAt!: string | null;
}

@ApiTags('api-keys')
@Controller('api-keys')
@AuditedInHandler()
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
  revoke(@Param('id', new ParseUUIDPipe()) id: string, @CurrentCaller() caller: Caller): Promise<ApiKeyView> {
    return this.keys.revoke(id, caller);
  }

  @Patch(':id')
  @Roles('admin')
  setExpiry(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: SetKeyExpiryDto, @CurrentCaller() caller: Caller): Promise<ApiKeyView> {
    return this.keys.setExpiry(id, body.expiresAt, caller);
  }

  @Post(':id/rotate')
  @HttpCode(201)
  @Roles('admin')
  rotate(@Param('id', new ParseUUIDPipe()) id: string, @CurrentCaller() caller: Caller): Promise<ApiKeyView & { key: string }> {
    return this.keys.rotate(id, caller);
  }
}
