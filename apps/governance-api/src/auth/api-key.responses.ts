import { ApiProperty } from '@nestjs/swagger';
import type { ApiKeyView } from './api-keys.service';
import { ROLES, type Role } from './roles';

/** An API key as listed: never the key itself. */
export class ApiKeyResponse implements ApiKeyView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ description: 'The first characters of the key, to recognise it.' }) prefix!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Name of the key that created it.' }) createdBy!:
    string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt!: string | null;
}

/** A key just made (created or rotated): the key itself, shown only in this answer. */
export class CreatedApiKeyResponse extends ApiKeyResponse {
  @ApiProperty({ description: 'The API key: send it as `Authorization: Bearer <key>`. Shown once.' }) key!: string;
}
