/** Injection tokens for the per-process infrastructure every service gets. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const LOGGER = Symbol('LOGGER');
export const SERVICE_NAME = Symbol('SERVICE_NAME');
/** Route metadata: reachable without an API key (health, metrics). */
export const PUBLIC_ROUTE = 'juggernaut:public-route';
