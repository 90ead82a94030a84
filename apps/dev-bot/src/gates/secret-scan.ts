import type { FilePatch } from './patch-lines';

export interface SecretHit {
  path: string;
  line: number;
  kind: string;
}

/** Key formats that are secrets wherever they appear. */
const KEY_FORMATS: Array<[string, RegExp]> = [
  ['AWS access key id', /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['AWS secret access key', /aws_?secret_?access_?key\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}\b/i],
  ['GitHub token', /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/],
  ['OpenAI API key', /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/],
  ['Anthropic API key', /\bsk-ant-[A-Za-z0-9_-]{20,}/],
  ['Stripe live key', /\b(?:sk|rk)_live_[A-Za-z0-9]{16,}/],
  ['Slack token', /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
  ['Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['Juggernaut API key', /\bjg_[A-Za-z0-9_-]{16,}/],
  ['private key', /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY( BLOCK)?-----/],
  ['credentials in a URL', /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"'`]+:([^\s@/"'`$%{}<>]{6,})@[^\s/]+/i],
];

/** `name = "value"` where the name says secret; the value must look random, not a placeholder or a reference. */
const ASSIGNMENT =
  /\b([A-Za-z0-9_.-]*(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|auth)[A-Za-z0-9_.-]*)["']?\s*[:=]\s*["'`]([^"'`\s]{12,})["'`]/i;
const PLACEHOLDER =
  /example|placeholder|changeme|change_me|dummy|sample|fake|test|xxxx|\*\*\*\*|<.*>|\$\{|process\.env|getenv|redacted/i;

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Secrets on the lines a change adds. The hit names the kind and place, never the value. */
export function scanForSecrets(files: FilePatch[]): SecretHit[] {
  const hits: SecretHit[] = [];
  for (const f of files) {
    for (const { line, text } of f.added) {
      const format = KEY_FORMATS.find(([kind, re]) => {
        const m = re.exec(text);
        if (!m) return false;
        // A URL with a templated or placeholder password is documentation, not a credential.
        return kind !== 'credentials in a URL' || !PLACEHOLDER.test(m[1] ?? '');
      });
      if (format) {
        hits.push({ path: f.path, line, kind: format[0] });
        continue;
      }
      const a = ASSIGNMENT.exec(text);
      if (a && !PLACEHOLDER.test(a[2]!) && entropy(a[2]!) >= 3.5)
        hits.push({ path: f.path, line, kind: `high-entropy value assigned to ${a[1]}` });
    }
  }
  return hits;
}
