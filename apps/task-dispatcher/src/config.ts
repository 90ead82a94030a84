import { DatabaseEnv } from '@juggernaut/config';

export class DispatcherEnv extends DatabaseEnv {}
