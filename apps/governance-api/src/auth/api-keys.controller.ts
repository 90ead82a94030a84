import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsIn, IsISO8601, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { AuditedInHandler } from '../audit/audited.decorator';
import { ApiKeyResponse, CreatedApiKeyResponse } from './api-key.responses';
import { ApiKeysService, type ApiKeyView } from './api-keys.service';
import { CurrentCaller } from './caller.decorator';
import { type Caller, type Role, ROLES, Roles } from './roles';

export class CreateApiKeyDto {
  @ApiProperty({
    example: 'grafana-reader',
    description:
      'Unique among keys that are not revoked (compared without case). Names starting with "system:" are the system\'s own actors in the audit log and are refused.',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(/^(?!\s*system:)/i, {
    message: 'name must not start with "system:": such names are the system\'s own actors in the audit log',
  })
  name!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;

  @ApiPropertyOptional({ description: 'When the key stops working (ISO 8601).' })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;
}

export class SetKeyExpiryDto {
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'When the key stops working (ISO 8601); a past time expires it now; null removes the expiry.',
  })
  @ValidateIf((_, v) => v !== null)
  @IsISO8601({ strict: true })
  expiresAt!: string | null;
}

@ApiTags('api-keys')
@Controller('api-keys')
@AuditedInHandler()
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @Roles('admin')
  @ApiCreatedResponse({
    type: CreatedApiKeyResponse,
    description: 'The key itself is in `key` and is shown only in this response.',
  })
  @ApiBadRequestResponse({
    description: 'A field is invalid (a name starting with "system:", an expiry in the past); the message names it.',
  })
  @ApiConflictResponse({ description: 'A key that is not revoked already has this name.' })
  create(@Body() body: CreateApiKeyDto, @CurrentCaller() caller: Caller): Promise<ApiKeyView & { key: string }> {
    return this.keys.create(body, caller);
  }

  @Get()
  @Roles('admin')
  @ApiOkResponse({ type: [ApiKeyResponse] })
  list(): Promise<ApiKeyView[]> {
    return this.keys.list();
  }

  @Delete(':id')
  @Roles('admin')
  @ApiOkResponse({ type: ApiKeyResponse, description: 'The key, revoked: it is refused from now on.' })
  @ApiNotFoundResponse({ description: 'No key with this id.' })
  revoke(@Param('id', new ParseUUIDPipe()) id: string, @CurrentCaller() caller: Caller): Promise<ApiKeyView> {
    return this.keys.revoke(id, caller);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOkResponse({ type: ApiKeyResponse })
  setExpiry(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: SetKeyExpiryDto,
    @CurrentCaller() caller: Caller,
  ): Promise<ApiKeyView> {
    return this.keys.setExpiry(id, body.expiresAt, caller);
  }

  @Post(':id/rotate')
  @HttpCode(201)
  @Roles('admin')
  @ApiCreatedResponse({
    type: CreatedApiKeyResponse,
    description: 'A new key under the same name and role; the old one stops working.',
  })
  rotate(
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentCaller() caller: Caller,
  ): Promise<ApiKeyView & { key: string }> {
    return this.keys.rotate(id, caller);
  }
}
