import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * Layers say what may use what (tags in each project.json; a project may import only from the layers
 * listed for it, never upward, never by a relative path into another project):
 *
 *   layer:contracts   libs/contracts                    nothing but itself
 *   layer:foundation  config, observability             contracts
 *   layer:platform    the libraries a service is built from, in four tiers, each using only those above it:
 *     platform:io          messaging, persistence       contracts, foundation (the broker and the database
 *                                                       do not know each other)
 *     platform:kit         service-kit                  + io
 *     platform:capability  llm, policy                  + kit (siblings do not import each other)
 *     platform:worker      worker                       any platform tier (the worker loop composes them)
 *   layer:app         apps/*                            contracts, foundation, platform
 *   layer:test        libs/testing                      the layers below app; usable only from tests
 *                                                       (*.spec.ts, test/ folders, e2e/)
 *
 * scope:<app> keeps a library an app owns to that app; shared libraries are scope:shared.
 * tools/lint/module-boundaries.spec.ts proves each rule refuses what it should.
 */
const below = {
  'layer:contracts': ['layer:contracts'],
  'layer:foundation': ['layer:contracts', 'layer:foundation'],
  'layer:platform': ['layer:contracts', 'layer:foundation', 'layer:platform'],
  'platform:io': ['layer:contracts', 'layer:foundation'],
  'platform:kit': ['layer:contracts', 'layer:foundation', 'platform:io'],
  'platform:capability': ['layer:contracts', 'layer:foundation', 'platform:io', 'platform:kit'],
  'layer:app': ['layer:contracts', 'layer:foundation', 'layer:platform'],
  'layer:test': ['layer:contracts', 'layer:foundation', 'layer:platform', 'layer:test'],
};
const apps = ['governance-api', 'task-dispatcher', 'agent-runner', 'dev-bot', 'experiment-tracker', 'revenue-ledger'];

/** The boundary rule; test code may also use layer:test. */
function boundaries({ tests }) {
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      banTransitiveDependencies: false,
      depConstraints: [
        ...Object.entries(below).map(([sourceTag, allowed]) => ({
          sourceTag,
          onlyDependOnLibsWithTags: tests ? [...allowed, 'layer:test'] : allowed,
        })),
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
        ...apps.map((app) => ({
          sourceTag: `scope:${app}`,
          onlyDependOnLibsWithTags: [`scope:${app}`, 'scope:shared'],
        })),
      ],
    },
  ];
}
const testFiles = ['**/*.spec.ts', '**/test/**/*.ts', 'e2e/**/*.ts'];

export default [
  { ignores: ['**/dist', '**/node_modules', '**/.nx', '**/tmp', '**/.juggernaut', '**/*.cjs', '**/*.mjs'] },
  ...nx.configs['flat/base'],
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries({ tests: false }),
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unsafe-function-type': 'off',
    },
  },
  {
    files: testFiles,
    rules: { '@nx/enforce-module-boundaries': boundaries({ tests: true }) },
  },
  {
    // End-to-end suites compose several services in one process; they are the only place allowed to.
    files: ['e2e/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    // Test files that still hold an explicit `any`, each to be given its contract types and then taken off this
    // list; every other file, tests included, is held to no-explicit-any.
    files: ['libs/testing/src/fake-openai.ts', 'libs/testing/src/http-client.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
];
