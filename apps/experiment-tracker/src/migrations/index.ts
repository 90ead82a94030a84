import { ExperimentsInit1764000000000 } from './1764000000000-experiments-init';
import { Experiments1764200000000 } from './1764200000000-experiments';
import { ExperimentStatistics1765000000000 } from './1765000000000-experiment-statistics';
import { ExperimentDataVersions1766000000000 } from './1766000000000-experiment-data-versions';
import { ExperimentUnitChanges1767000000000 } from './1767000000000-experiment-unit-changes';

/** Every migration of the experiments schema, in order. */
export const experimentsMigrations = [
  ExperimentsInit1764000000000,
  Experiments1764200000000,
  ExperimentStatistics1765000000000,
  ExperimentDataVersions1766000000000,
  ExperimentUnitChanges1767000000000,
];
