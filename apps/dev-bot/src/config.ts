import { DatabaseEnv } from '@juggernaut/config';

export class DevBotEnv extends DatabaseEnv {}
