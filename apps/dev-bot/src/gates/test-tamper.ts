import type { ChangeDiffFile } from '../workspace/workspace';
import type { FilePatch } from './patch-lines';

export interface TamperHit {
  path: string;
  /** What was weakened, with the evidence (file:line and the line itself, shortened). */
  message: string;
}

const TEST_FILE =
  /(^|\/)(__tests__|tests?|e2e|spec)\/|\.(spec|test|e2e-spec|int-spec)\.[cm]?[jt]sx?$|(^|\/)test_[^/]*\.py$|_test\.(py|go)$|Test\.java$|_spec\.rb$/;
export const isTestFile = (path: string): boolean => TEST_FILE.test(path);

/** Lines that turn tests off or narrow a run to a few tests. */
const SKIPS = [
  /\b(?:describe|it|test|context|suite|specify)\s*\.\s*(?:skip|only|todo)\b/,
  /(?:^|[^.\w])(?:xit|xdescribe|xtest|xcontext|fit|fdescribe|ftest)\s*\(\s*['"`]/,
  /\bthis\.skip\s*\(/,
  /@pytest\.mark\.(?:skip|xfail)/,
  /\bunittest\.skip/,
  /\bt\.Skip(?:Now|f)?\s*\(/,
  /@(?:Disabled|Ignore)\b/,
  /\bpending\s*\(/,
];

/** Lines that assert something. */
const ASSERTION =
  /\b(?:expect|assert\w*|should|expectTypeOf|t\.(?:is|deepEqual|true|false|throws|equal)|require\.(?:Equal|NoError|True))\b\s*[.(]/;

/** Assertions that pin a value or behaviour, and ones that only check something exists or is truthy. */
const STRICT_ASSERTION =
  /\.(?:toBe|toEqual|toStrictEqual|toMatch|toMatchObject|toThrow|toContain|toHaveLength|toHaveBeenCalledWith|toHaveProperty|toBeCloseTo|rejects|resolves)\s*\(|\bassert\.(?:strictEqual|deepStrictEqual|equal|deepEqual|throws|rejects|match)\s*\(|\bassertEquals\b|\bassert\s+\S+\s*==/;
const WEAK_ASSERTION =
  /\.(?:toBeDefined|toBeTruthy|toBeFalsy|toHaveBeenCalled)\s*\(\s*\)|\.not\.(?:toBeNull|toBeUndefined|toThrow)\s*\(\s*\)|\bassert(?:\.ok)?\s*\(\s*[\w.]+\s*\)|\bassert\s+\w+\s*$/;

/** Suppressions that silence the linter or the type checker. */
const SUPPRESSIONS =
  /@ts-(?:ignore|nocheck|expect-error)\b|eslint-disable|# *noqa\b|# *type: *ignore\b|\/\/ *nolint\b|istanbul ignore|c8 ignore|v8 ignore|# *pragma: *no cover/;

const LINT_CONFIG =
  /(^|\/)(\.eslintrc[^/]*|eslint\.config\.[cm]?[jt]s|\.golangci\.ya?ml|\.flake8|\.pylintrc|ruff\.toml|\.rubocop\.ya?ml|biome\.json|\.prettierrc[^/]*)$/;
const TS_CONFIG = /(^|\/)(tsconfig[^/]*\.json|jsconfig\.json|mypy\.ini)$/;
const TEST_CONFIG =
  /(^|\/)(jest\.config\.[cm]?[jt]s|jest\.config\.json|vitest\.config\.[cm]?[jt]s|\.nycrc[^/]*|\.c8rc[^/]*|karma\.conf\.[jt]s|pytest\.ini|setup\.cfg|pyproject\.toml|tox\.ini|\.mocharc[^/]*|codecov\.ya?ml|\.coveragerc)$/;
const PACKAGE = /(^|\/)package\.json$/;

/** A type-check option switched off (or a strict one removed). */
const TS_RELAXED_ADD =
  /"(strict\w*|noImplicit\w+|noUnused\w+|noFallthroughCasesInSwitch|exactOptionalPropertyTypes|noUncheckedIndexedAccess|alwaysStrict|useUnknownInCatchVariables)"\s*:\s*false|"(skipLibCheck|allowJs|checkJs)"\s*:\s*(true|false)|"(noEmitOnError)"\s*:\s*false|disallow_untyped_defs\s*=\s*(False|false)|ignore_errors\s*=\s*(True|true)/;
const TS_STRICT_LINE =
  /"(strict\w*|noImplicit\w+|noUnused\w+|noFallthroughCasesInSwitch|exactOptionalPropertyTypes|noUncheckedIndexedAccess|alwaysStrict)"\s*:\s*true/;
/** A lint rule turned off or down to a warning. */
const LINT_RELAXED_ADD =
  /["']?[\w@/-]+["']?\s*:\s*(?:\[\s*)?(?:["'](?:off|warn)["']|[01]\b)|ignorePatterns|ignores\s*:|\bextend-ignore\b|\bdisable\b|\bignore\s*=/;
/** Settings that exclude tests or lower coverage. */
const TEST_RELAXED_ADD =
  /testPathIgnorePatterns|modulePathIgnorePatterns|coveragePathIgnorePatterns|passWithNoTests|bail\s*[:=]\s*false|--passWithNoTests|omit\s*=|exclude\s*[:=]/;
const THRESHOLD =
  /\b(branches|functions|lines|statements|fail_under|fail-under|min_coverage|threshold)\b["']?\s*[:=]\s*(\d+(?:\.\d+)?)/i;
const SCRIPT_LINE = /"(test|lint|typecheck|check|ci|coverage|test:[\w:-]+|lint:[\w:-]+)"\s*:\s*"([^"]*)"/;

function evidence(path: string, line: number, text: string): string {
  const t = text.trim();
  return `${path}:${line}: ${t.length > 160 ? `${t.slice(0, 160)}…` : t}`;
}

function countMatches(lines: Array<{ text: string }>, res: RegExp[]): number {
  return lines.filter((l) => res.some((re) => re.test(l.text))).length;
}

/**
 * Flags changes that make a test suite weaker rather than the code better: deleted or renamed-away test
 * files, newly skipped or focused tests, assertions removed without replacement, new lint/type/coverage
 * suppressions, and relaxed lint, type-check, test or coverage settings.
 */
export function detectTestTamper(files: ChangeDiffFile[], patches: FilePatch[]): TamperHit[] {
  const hits: TamperHit[] = [];
  for (const f of files) {
    if (f.status === 'deleted' && isTestFile(f.path))
      hits.push({ path: f.path, message: `test file ${f.path} is deleted` });
    if (f.status === 'renamed' && f.oldPath && isTestFile(f.oldPath) && !isTestFile(f.path)) {
      hits.push({
        path: f.path,
        message: `test file ${f.oldPath} is renamed to ${f.path}, which is no longer run as a test`,
      });
    }
  }
  for (const p of patches) {
    const deleted = files.find((f) => f.path === p.path)?.status === 'deleted';
    // Skips and focus: only net new ones (moving a skip around is not new).
    const newSkips = countMatches(p.added, SKIPS) - countMatches(p.removed, SKIPS);
    if (newSkips > 0) {
      const first = p.added.find((l) => SKIPS.some((re) => re.test(l.text)))!;
      hits.push({
        path: p.path,
        message: `${newSkips} test(s) newly skipped or focused, e.g. ${evidence(p.path, first.line, first.text)}`,
      });
    }
    if (isTestFile(p.path) && !deleted) {
      const lost = countMatches(p.removed, [ASSERTION]) - countMatches(p.added, [ASSERTION]);
      if (lost > 0) {
        const first = p.removed.find((l) => ASSERTION.test(l.text))!;
        hits.push({
          path: p.path,
          message: `${lost} assertion(s) removed without replacement, e.g. removed ${evidence(p.oldPath ?? p.path, first.line, first.text)}`,
        });
      } else {
        const weakened = countMatches(p.removed, [STRICT_ASSERTION]) - countMatches(p.added, [STRICT_ASSERTION]);
        const weak = p.added.find((l) => WEAK_ASSERTION.test(l.text));
        if (weakened > 0 && weak) {
          const was = p.removed.find((l) => STRICT_ASSERTION.test(l.text))!;
          hits.push({
            path: p.path,
            message: `assertions weakened: ${evidence(p.oldPath ?? p.path, was.line, was.text)} became ${evidence(p.path, weak.line, weak.text)}`,
          });
        }
      }
    }
    const newSuppressions =
      p.added.filter((l) => SUPPRESSIONS.test(l.text)).length -
      p.removed.filter((l) => SUPPRESSIONS.test(l.text)).length;
    if (newSuppressions > 0) {
      const first = p.added.find((l) => SUPPRESSIONS.test(l.text))!;
      hits.push({
        path: p.path,
        message: `lint/type/coverage suppression added: ${evidence(p.path, first.line, first.text)}`,
      });
    }
    hits.push(...relaxedSettings(p));
  }
  return hits;
}

function relaxedSettings(p: FilePatch): TamperHit[] {
  const hits: TamperHit[] = [];
  const add = (line: number, text: string, what: string) =>
    hits.push({ path: p.path, message: `${what}: ${evidence(p.path, line, text)}` });
  if (TS_CONFIG.test(p.path)) {
    const a = p.added.find((l) => TS_RELAXED_ADD.test(l.text));
    if (a) add(a.line, a.text, 'type checking relaxed');
    const r = p.removed.find(
      (l) => TS_STRICT_LINE.test(l.text) && !p.added.some((x) => x.text.trim() === l.text.trim()),
    );
    if (r) add(r.line, `(removed) ${r.text.trim()}`, 'strict type-check option removed');
  }
  if (LINT_CONFIG.test(p.path)) {
    const a = p.added.find((l) => LINT_RELAXED_ADD.test(l.text));
    if (a) add(a.line, a.text, 'lint rules relaxed');
  }
  if (TEST_CONFIG.test(p.path) || PACKAGE.test(p.path)) {
    const a = p.added.find((l) => TEST_RELAXED_ADD.test(l.text));
    if (a) add(a.line, a.text, 'test or coverage settings relaxed');
  }
  if (TEST_CONFIG.test(p.path) || PACKAGE.test(p.path)) {
    // A coverage threshold lowered, or removed.
    for (const r of p.removed) {
      const before = THRESHOLD.exec(r.text);
      if (!before) continue;
      const after = p.added
        .map((l) => THRESHOLD.exec(l.text))
        .find((m) => m && m[1]!.toLowerCase() === before[1]!.toLowerCase());
      if (!after) add(r.line, `(removed) ${r.text.trim()}`, 'coverage threshold removed');
      else if (Number(after[2]) < Number(before[2]))
        add(r.line, `${before[1]} ${before[2]} → ${after[2]}`, 'coverage threshold lowered');
    }
  }
  if (PACKAGE.test(p.path)) {
    for (const r of p.removed) {
      const before = SCRIPT_LINE.exec(r.text);
      if (!before) continue;
      const after = p.added.map((l) => SCRIPT_LINE.exec(l.text)).find((m) => m && m[1] === before[1]);
      if (!after) add(r.line, `(removed) ${r.text.trim()}`, `"${before[1]}" script removed`);
      else if (after[2] !== before[2]) add(r.line, `"${before[2]}" → "${after[2]}"`, `"${before[1]}" script changed`);
    }
  }
  return hits;
}
