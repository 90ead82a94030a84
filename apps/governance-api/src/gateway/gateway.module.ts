import { Module } from '@nestjs/common';
import { GATEWAY_CONTROLLERS } from './gateway';

/**
 * The proxy routes of governance-api, built from the operations declared in libs/contracts. It is
 * imported after the feature modules, so that their own routes register first (GET
 * /experiments/allocation before the gateway's GET /experiments/:id).
 */
@Module({ controllers: GATEWAY_CONTROLLERS })
export class GatewayModule {}
