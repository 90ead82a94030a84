import { DatabaseEnv } from '@juggernaut/config';

export class ExperimentsEnv extends DatabaseEnv {}
