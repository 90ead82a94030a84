import { ExperimentsInit1764000000000 } from './1764000000000-experiments-init';

/** Every migration of the experiments schema, in order. */
export const experimentsMigrations = [ExperimentsInit1764000000000];
