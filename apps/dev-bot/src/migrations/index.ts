import { DevbotInit1764000000000 } from './1764000000000-devbot-init';

/** Every migration of the devbot schema, in order. */
export const devbotMigrations = [DevbotInit1764000000000];
