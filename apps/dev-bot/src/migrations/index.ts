import { DevbotInit1764000000000 } from './1764000000000-devbot-init';
import { DevbotChanges1764600000000 } from './1764600000000-devbot-changes';

/** Every migration of the devbot schema, in order. */
export const devbotMigrations = [DevbotInit1764000000000, DevbotChanges1764600000000];
