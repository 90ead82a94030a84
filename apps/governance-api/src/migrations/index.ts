import { GovernanceInit1764000000000 } from './1764000000000-governance-init';
import { Workers1764000200000 } from './1764000200000-workers';

/** Every migration of the governance schema, in order. */
export const governanceMigrations = [GovernanceInit1764000000000, Workers1764000200000];
