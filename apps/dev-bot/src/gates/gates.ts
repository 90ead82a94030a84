import type { ChangeDiff } from '../workspace/workspace';
import { PathMatcher } from './glob';
import { parsePatch } from './patch-lines';
import { scanForSecrets } from './secret-scan';
import { detectTestTamper } from './test-tamper';

export interface GatePolicy {
  /** Added plus removed lines above which a change is refused. */
  maxChangedLines: number;
  /** Changed files above which a change is refused. */
  maxFiles: number;
  /** Globs of paths whose change needs a human approval. A `!glob` excludes again; the last match wins. */
  protectedPaths: string[];
  /** Globs of paths the bot may never change. */
  deniedPaths: string[];
  /**
   * Every merge waits for a human's approval, whatever the other gates say. On by default: an admin
   * registering the repository turns it off (`gatePolicy.mergeRequiresApproval: false`) to let
   * low-risk changes that pass every gate merge on their own.
   */
  mergeRequiresApproval: boolean;
}

export type GateName =
  'size' | 'files' | 'protected-path' | 'denied-path' | 'secret' | 'test-tamper' | 'merge-approval';

export interface GateFinding {
  gate: GateName;
  verdict: 'refuse' | 'needs-approval';
  message: string;
  path?: string;
}

export interface GateEvaluation {
  findings: GateFinding[];
  /** Some gate refuses: the change must not merge, approval or not. */
  refused: boolean;
  /** Some gate asks for a human: the change may merge only once approved. */
  needsApproval: boolean;
}

/** Secrets files: never written by the bot. Examples of them are fine. */
const SECRETS_FILES = [
  '.env',
  '.env.*',
  '!.env.example',
  '!.env.sample',
  '!.env.template',
  '*.pem',
  '*.key',
  '*.p12',
  '*.pfx',
  '*.jks',
  '*.keystore',
  'id_rsa*',
  'id_ecdsa*',
  'id_ed25519*',
  '.npmrc',
  '.pypirc',
  '.netrc',
  '.git-credentials',
  '.dockercfg',
  '.docker/config.json',
  'credentials*.json',
  '*.tfvars',
  '**/secrets/**',
  '*-secret.y{a,}ml',
  '*.secret.*',
];

/** Dependency manifests and lockfiles: a change to them changes what code runs, so a human looks. */
const DEPENDENCY_FILES = [
  '**/package.json',
  '**/package-lock.json',
  '**/npm-shrinkwrap.json',
  '**/yarn.lock',
  '**/pnpm-lock.yaml',
  '**/bun.lockb',
  '**/.yarnrc*',
  '**/requirements*.txt',
  '**/constraints*.txt',
  '**/Pipfile',
  '**/Pipfile.lock',
  '**/poetry.lock',
  '**/pyproject.toml',
  '**/setup.py',
  '**/setup.cfg',
  '**/go.mod',
  '**/go.sum',
  '**/Cargo.toml',
  '**/Cargo.lock',
  '**/Gemfile',
  '**/Gemfile.lock',
  '**/composer.json',
  '**/composer.lock',
  '**/pom.xml',
  '**/build.gradle',
  '**/build.gradle.kts',
  '**/gradle.lockfile',
  '**/*.csproj',
  '**/packages.lock.json',
];

/**
 * The code that decides who may do what (Juggernaut's own, for when the bot develops Juggernaut):
 * authentication, roles and API keys, approvals, the audit trail, the policy follower and the kill
 * switch, the worker library that enforces them, and every shared library.
 */
const GOVERNING_CODE = [
  'apps/governance-api/src/auth/**',
  'apps/governance-api/src/approvals/**',
  'apps/governance-api/src/audit/**',
  'apps/governance-api/src/rate-limit/**',
  'apps/task-dispatcher/src/policy/**',
  'libs/**',
];

export const DEFAULT_GATE_POLICY: GatePolicy = Object.freeze({
  maxChangedLines: 500,
  maxFiles: 20,
  mergeRequiresApproval: true,
  protectedPaths: Object.freeze([
    ...DEPENDENCY_FILES,
    ...GOVERNING_CODE,
    // CI configuration
    '.github/**',
    '.ci/**',
    '.gitlab-ci.yml',
    '.gitlab/**',
    '.circleci/**',
    '.buildkite/**',
    'Jenkinsfile',
    'azure-pipelines.yml',
    // deployment manifests
    'k8s/**',
    'deploy/**',
    'helm/**',
    'charts/**',
    'docker/**',
    'Dockerfile',
    '*.Dockerfile',
    'docker-compose*.{yml,yaml}',
    'compose*.{yml,yaml}',
    '**/*.env',
    // schema migrations
    '**/migrations/**',
  ]) as string[],
  deniedPaths: Object.freeze([
    ...SECRETS_FILES,
    // the bot's own code and the policy and budget code that governs it
    'apps/dev-bot/**',
    'apps/governance-api/src/policies/**',
    'apps/governance-api/src/budgets/**',
    'apps/agent-runner/src/policy/**',
  ]) as string[],
}) as GatePolicy;

/** Throws an Error naming the first invalid field. */
export function validateGatePolicy(policy: GatePolicy): void {
  for (const field of ['maxChangedLines', 'maxFiles'] as const) {
    const v = policy[field];
    if (!Number.isInteger(v) || v < 1)
      throw new Error(`gate policy ${field} must be a positive integer, got ${String(v)}`);
  }
  if (typeof policy.mergeRequiresApproval !== 'boolean')
    throw new Error('gate policy mergeRequiresApproval must be true or false');
  for (const field of ['protectedPaths', 'deniedPaths'] as const) {
    const v = policy[field];
    if (!Array.isArray(v) || v.some((g) => typeof g !== 'string' || !g.trim()))
      throw new Error(`gate policy ${field} must be a list of non-empty globs`);
  }
}

/**
 * Every policy gate over one change. Passing tests are not enough on their own: a change that is too large,
 * touches denied paths or carries a secret is refused; one that touches protected paths or weakens the tests
 * waits for a human — and so does every merge, unless the repository's admin turned that off.
 */
export function evaluateGates(diff: ChangeDiff, policy: GatePolicy = DEFAULT_GATE_POLICY): GateEvaluation {
  validateGatePolicy(policy);
  const findings: GateFinding[] = [];
  const changed = diff.added + diff.removed;
  if (changed > policy.maxChangedLines) {
    findings.push({
      gate: 'size',
      verdict: 'refuse',
      message: `the change touches ${changed} lines (+${diff.added} −${diff.removed}); the limit is ${policy.maxChangedLines}`,
    });
  }
  if (diff.files.length > policy.maxFiles) {
    findings.push({
      gate: 'files',
      verdict: 'refuse',
      message: `the change touches ${diff.files.length} files; the limit is ${policy.maxFiles}`,
    });
  }
  const denied = new PathMatcher(policy.deniedPaths);
  const protectedPaths = new PathMatcher(policy.protectedPaths);
  for (const f of diff.files) {
    for (const path of f.oldPath && f.oldPath !== f.path ? [f.oldPath, f.path] : [f.path]) {
      const d = denied.match(path);
      if (d) {
        findings.push({
          gate: 'denied-path',
          verdict: 'refuse',
          path,
          message: `${path} may not be changed by the bot (matches denied "${d}")`,
        });
        continue;
      }
      const p = protectedPaths.match(path);
      if (p)
        findings.push({
          gate: 'protected-path',
          verdict: 'needs-approval',
          path,
          message: `${path} is protected (matches "${p}"); a human must approve`,
        });
    }
  }
  const patches = parsePatch(diff.patch);
  for (const s of scanForSecrets(patches)) {
    findings.push({
      gate: 'secret',
      verdict: 'refuse',
      path: s.path,
      message: `possible secret (${s.kind}) added at ${s.path}:${s.line}`,
    });
  }
  for (const t of detectTestTamper(diff.files, patches)) {
    findings.push({ gate: 'test-tamper', verdict: 'needs-approval', path: t.path, message: t.message });
  }
  if (policy.mergeRequiresApproval) {
    findings.push({
      gate: 'merge-approval',
      verdict: 'needs-approval',
      message: "every merge needs a human approval (the repository's gatePolicy.mergeRequiresApproval, on by default)",
    });
  }
  return {
    findings,
    refused: findings.some((f) => f.verdict === 'refuse'),
    needsApproval: findings.some((f) => f.verdict === 'needs-approval'),
  };
}
