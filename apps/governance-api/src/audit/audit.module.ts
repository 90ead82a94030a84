import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuditController } from './audit.controller';
import { AuditInterceptor } from './audit.interceptor';
import { AuditLog } from './audit-log';
import { AuditRepository } from './audit.repository';

/** The audit log: global, so every feature module can record its decisions with `AuditLog`. */
@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditRepository, AuditLog, { provide: APP_INTERCEPTOR, useClass: AuditInterceptor }],
  exports: [AuditLog],
})
export class AuditModule {}
