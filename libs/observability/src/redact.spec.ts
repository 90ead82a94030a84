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
    expect(out).toEqual({
      user: 'ann',
      password: '[REDACTED]',
      nested: { apiKey: '[REDACTED]', list: [{ token: '[REDACTED]' }] },
      count: 3,
    });
  });
});

describe('redaction of the formats issue 14 found missing', () => {
  it('redacts secrets nested at any depth, not only the first eight levels', () => {
    let deep: Record<string, unknown> = { password: 'hunter2', note: 'Bearer abcdefghijklmnop' };
    for (let i = 0; i < 40; i++) deep = { level: deep };
    const text = JSON.stringify(redact(deep));
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('abcdefghijklmnop');
    expect(text.match(/\[REDACTED\]/g)).toHaveLength(2);
  });

  it('replaces arrays and objects under a secret-named key whole', () => {
    expect(redact({ secrets: ['a', 'b'], credentials: { user: 'u', pass: 'p' }, apiKey: { id: 1 } })).toEqual({
      secrets: '[REDACTED]',
      credentials: '[REDACTED]',
      apiKey: '[REDACTED]',
    });
    // a flag saying whether there is one is not the secret
    expect(redact({ hasPassword: true, token: null })).toEqual({ hasPassword: true, token: null });
  });

  it('leaves token counts and verdicts alone', () => {
    const usage = {
      tokens: { prompt: 12, completion: 3 },
      maxTokens: 256,
      prompt_tokens: 12,
      tokenCount: 5,
      passed: ['lint'],
    };
    expect(redact(usage)).toEqual(usage);
  });

  it('redacts NAME=value assignments with a secret-sounding name, in env files, shell lines and query strings', () => {
    expect(redactString('DATABASE_PASSWORD=hunter2 PORT=5432')).toBe('DATABASE_PASSWORD=[REDACTED] PORT=5432');
    expect(redactString('export GITHUB_TOKEN="abc def"')).toBe('export GITHUB_TOKEN="[REDACTED]"');
    expect(redactString("aws_secret_access_key = 'wJalrXUtnFEMI'")).toBe("aws_secret_access_key = '[REDACTED]'");
    expect(redactString('GET /cb?code=1&access_token=abc123&state=x')).toBe(
      'GET /cb?code=1&access_token=[REDACTED]&state=x',
    );
    expect(redactString('NATS_PASS=s3cret\nLOG_LEVEL=info')).toBe('NATS_PASS=[REDACTED]\nLOG_LEVEL=info');
    expect(redactString('retries=3 timeout=10')).toBe('retries=3 timeout=10');
  });

  it('redacts secret-named members of JSON held in text', () => {
    expect(redactString('body: {"user":"ann","password":"hunter2"}')).toBe(
      'body: {"user":"ann","password":"[REDACTED]"}',
    );
  });

  it('redacts bearer tokens whatever the case of the scheme', () => {
    expect(redactString('authorization: bearer abcdefghijklmnop')).toBe('authorization: bearer [REDACTED]');
    expect(redactString('BEARER abcdefghijklmnop')).toBe('BEARER [REDACTED]');
  });

  it('redacts GitHub fine-grained tokens, Slack tokens and JWTs', () => {
    const pat = `github_pat_11ABCDEFG0123456789_${'a'.repeat(59)}`;
    expect(redactString(`token ${pat} end`)).toBe('token [REDACTED] end');
    expect(redactString('slack xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp')).toBe('slack [REDACTED]');
    expect(redactString('xoxp-1234567890-abcdefghij')).toBe('[REDACTED]');
    const jwt =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    expect(redactString(`cookie=${jwt}`)).toBe('cookie=[REDACTED]');
    expect(redactString(`the jwt ${jwt}.`)).toBe('the jwt [REDACTED].');
  });

  it('redacts other common key formats: Stripe, Google, AWS temporary keys', () => {
    expect(redactString('sk_live_abcdefghijklmnop1234')).toBe('[REDACTED]');
    expect(redactString('key AIzaSyA-abcdefghijklmnopqrstuvwxyz01234')).toBe('key [REDACTED]');
    expect(redactString('ASIAABCDEFGHIJKLMNOP')).toBe('[REDACTED]');
  });

  it('copes with cycles and stays linear on long text', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a['self'] = a;
    expect(redact(a)).toEqual({ name: 'a', self: '[Circular]' });
    const shared = { x: 1 };
    expect(redact({ l: shared, r: shared })).toEqual({ l: { x: 1 }, r: { x: 1 } });
    const long = `${'a'.repeat(200_000)} b=c`;
    const started = Date.now();
    expect(redactString(long)).toBe(long);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
