import { PathMatcher, globToRegExp } from './glob';

describe('path globs', () => {
  const m = (glob: string, path: string) => globToRegExp(glob).test(path);

  it('** crosses directories, * and ? do not', () => {
    expect(m('.github/**', '.github/workflows/ci.yml')).toBe(true);
    expect(m('.github/**', 'src/.github/x')).toBe(false);
    expect(m('k8s/*.yaml', 'k8s/base/app.yaml')).toBe(false);
    expect(m('k8s/*.yaml', 'k8s/app.yaml')).toBe(true);
    expect(m('**/migrations/**', 'apps/x/src/migrations/1-init.ts')).toBe(true);
    expect(m('**/migrations/**', 'migrations/1.sql')).toBe(true);
    expect(m('src/?.js', 'src/a.js')).toBe(true);
    expect(m('src/?.js', 'src/ab.js')).toBe(false);
  });

  it('a pattern without a slash matches the file name at any depth', () => {
    expect(m('*.pem', 'certs/deep/server.pem')).toBe(true);
    expect(m('.env', 'apps/api/.env')).toBe(true);
    expect(m('.env', 'apps/api/.envrc')).toBe(false);
    expect(m('**/*.env', 'prod.env')).toBe(true);
    expect(m('**/*.env', 'config/prod.env')).toBe(true);
  });

  it('alternation and escaping', () => {
    expect(m('docker-compose*.{yml,yaml}', 'docker-compose.prod.yaml')).toBe(true);
    expect(m('docker-compose*.{yml,yaml}', 'docker-compose.json')).toBe(false);
    expect(m('a+b.txt', 'a+b.txt')).toBe(true);
    expect(m('a.txt', 'abtxt')).toBe(false);
  });

  it('a later ! pattern excludes again', () => {
    const pm = new PathMatcher(['.env.*', '!.env.example']);
    expect(pm.match('.env.production')).toBe('.env.*');
    expect(pm.match('api/.env.example')).toBeNull();
    expect(pm.match('README.md')).toBeNull();
  });
});
