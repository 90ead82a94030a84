import { DatabaseEnv } from '@juggernaut/config';

export class LedgerEnv extends DatabaseEnv {}
