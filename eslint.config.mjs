import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/**
 * Module boundaries are real rules: contracts depend on nothing but contracts; shared utilities
 * on utilities and contracts; an app only on shared libraries and its own scope; no project
 * reaches into another through a relative path.
 */
export default [
  { ignores: ['**/dist', '**/node_modules', '**/.nx', '**/tmp', '**/.juggernaut', '**/*.cjs', '**/*.mjs'] },
  ...nx.configs['flat/base'],
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          banTransitiveDependencies: false,
          depConstraints: [
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:contracts', 'type:util'],
            },
            {
              sourceTag: 'type:feature',
              onlyDependOnLibsWithTags: ['type:data-access', 'type:contracts', 'type:util'],
            },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:contracts', 'type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contracts'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:governance-api', onlyDependOnLibsWithTags: ['scope:governance-api', 'scope:shared'] },
            { sourceTag: 'scope:task-dispatcher', onlyDependOnLibsWithTags: ['scope:task-dispatcher', 'scope:shared'] },
            { sourceTag: 'scope:agent-runner', onlyDependOnLibsWithTags: ['scope:agent-runner', 'scope:shared'] },
            { sourceTag: 'scope:dev-bot', onlyDependOnLibsWithTags: ['scope:dev-bot', 'scope:shared'] },
            {
              sourceTag: 'scope:experiment-tracker',
              onlyDependOnLibsWithTags: ['scope:experiment-tracker', 'scope:shared'],
            },
            { sourceTag: 'scope:revenue-ledger', onlyDependOnLibsWithTags: ['scope:revenue-ledger', 'scope:shared'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unsafe-function-type': 'off',
    },
  },
  {
    // End-to-end suites compose several services in one process; they are the only place allowed to.
    files: ['e2e/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'libs/testing/**/*.ts', 'e2e/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
];
