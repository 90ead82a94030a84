import { IsOptional, IsString } from 'class-validator';
import { DatabaseEnv } from './base-env';
import { Secret } from './env-decorators';
import { ConfigError, loadConfig, secretValuesOf } from './load-config';

class TestEnv extends DatabaseEnv {
  @IsOptional()
  @IsString()
  @Secret()
  API_TOKEN?: string;
}

const valid = { DATABASE_URL: 'postgres://u:p@localhost:5432/db' };

describe('loadConfig', () => {
  it('applies defaults and converts types', () => {
    const c = loadConfig(TestEnv, { ...valid, HTTP_PORT: '8080' });
    expect(c.HTTP_PORT).toBe(8080);
    expect(c.NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(c.LOG_LEVEL).toBe('info');
  });

  it('reads only declared variables', () => {
    const c = loadConfig(TestEnv, { ...valid, PATH: '/bin', AWS_SECRET: 'x' }) as unknown as Record<string, unknown>;
    expect(c['PATH']).toBeUndefined();
    expect(c['AWS_SECRET']).toBeUndefined();
  });

  it('names the variable and what was expected on one line', () => {
    expect(() => loadConfig(TestEnv, { ...valid, HTTP_PORT: 'abc' })).toThrow(
      new ConfigError('Invalid configuration: HTTP_PORT: HTTP_PORT must be an integer port number (got "abc")'),
    );
    expect(() => loadConfig(TestEnv, {})).toThrow(/DATABASE_URL.*\(not set\)/);
    expect(() => loadConfig(TestEnv, { ...valid, LOG_LEVEL: 'loud' })).toThrow(
      /LOG_LEVEL must be one of debug, info, warn, error/,
    );
    expect(() => loadConfig(TestEnv, { ...valid, NATS_URL: 'http://x' })).toThrow(/NATS_URL/);
  });

  it('never echoes a secret value in the error', () => {
    let message = '';
    try {
      loadConfig(TestEnv, { DATABASE_URL: 'mysql://root:hunter2@db/x' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('value hidden');
    expect(message).not.toContain('hunter2');
  });

  it('lists secret values for redaction', () => {
    const c = loadConfig(TestEnv, { ...valid, API_TOKEN: 'tok-123456' });
    expect(secretValuesOf(c).sort()).toEqual(['postgres://u:p@localhost:5432/db', 'tok-123456'].sort());
  });
});
