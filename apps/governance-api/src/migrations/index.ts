import { GovernanceInit1764000000000 } from './1764000000000-governance-init';

/** Every migration of the governance schema, in order. */
export const governanceMigrations = [GovernanceInit1764000000000];
