import { redact, redactString, registerSecret } from './redact';

describe('redaction', () => {
  it('removes registered secret values wherever they appear', () => {
    registerSecret('s3cr3t-value-xyz');
    expect(redactString('key=s3cr3t-value-xyz;')).toBe('key=[REDACTED];');
  });

  it('removes credentials in URLs, bearer tokens and known key formats', () => {
    expect(redactString('postgres://user:pa55@db:5432/x')).toBe('postgres://user:[REDACTED]@db:5432/x');
    expect(redactString('Authorization: Bearer abcdefghijklmnop')).toBe('Authorization: Bearer [REDACTED]');
    expect(redactString('use sk-abcdefghijklmnopqrstuv now')).toBe('use [REDACTED] now');
    expect(redactString('jg_abcdefghijklmnopqrstuvwxyz012345')).toBe('[REDACTED]');
    expect(redactString('ghp_abcdefghijklmnopqrstuvwxyz0123')).toBe('[REDACTED]');
  });

  it('redacts secret-named fields in nested objects and leaves the rest', () => {
    const out = redact({ user: 'ann', password: 'pw', nested: { apiKey: 'k', list: [{ token: 't' }] }, count: 3 });
    expect(out).toEqual({ user: 'ann', password: '[REDACTED]', nested: { apiKey: '[REDACTED]', list: [{ token: '[REDACTED]' }] }, count: 3 });
  });
});
