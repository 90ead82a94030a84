import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { changedInterfaces, interfaceName, tsType } from './row-types';

const root = join(__dirname, '..', '..');

describe('row types', () => {
  it('types each column as node-postgres returns it', () => {
    const base = { typtype: 'b', elemname: null, elemtype: null, basename: null };
    expect(tsType({ ...base, typname: 'int8' })).toBe('string');
    expect(tsType({ ...base, typname: 'numeric' })).toBe('string');
    expect(tsType({ ...base, typname: 'int4' })).toBe('number');
    expect(tsType({ ...base, typname: 'timestamptz' })).toBe('Date');
    expect(tsType({ ...base, typname: 'jsonb' })).toBe('unknown');
    expect(tsType({ ...base, typname: 'bytea' })).toBe('Buffer');
    expect(tsType({ ...base, typname: 'my_enum', typtype: 'e' })).toBe('string');
    expect(tsType({ ...base, typname: 'positive', typtype: 'd', basename: 'int4' })).toBe('number');
    expect(tsType({ ...base, typname: '_uuid', elemname: 'uuid', elemtype: 'b' })).toBe('string[]');
    expect(() => tsType({ ...base, typname: 'tsvector' })).toThrow(/no TypeScript type for the Postgres type tsvector/);
  });

  it('names each interface after its schema and table', () => {
    expect(interfaceName('dispatch', 'task_runs')).toBe('DispatchTaskRuns');
    expect(interfaceName('governance', 'audit_log')).toBe('GovernanceAuditLog');
  });

  it('names the interfaces that differ between two renderings', () => {
    const a = 'export interface A {\n  x: string;\n}\nexport interface B {\n  y: number;\n}\n';
    const b = 'export interface A {\n  x: string;\n}\nexport interface B {\n  y: string;\n}\nexport interface C {\n}\n';
    expect(changedInterfaces(a, b)).toEqual(['B', 'C']);
  });

  /**
   * The point of generating them: compile a real repository against the generated file with one column
   * renamed, as a migration renaming it would leave the file once regenerated, and the typecheck fails
   * in the repository that still reads the old name.
   */
  it('fail the typecheck of a repository that reads a column a migration renamed', () => {
    const repository = join(root, 'apps/governance-api/src/goals/goals.repository.ts');
    const generated = join(root, 'apps/governance-api/src/db/schema.generated.ts');
    const config = ts.getParsedCommandLineOfConfigFile(
      join(root, 'tsconfig.base.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    )!;
    const options = { ...config.options, noEmit: true, types: ['node'] };
    const compile = (edit: (text: string) => string, oldProgram?: ts.Program) => {
      const host = ts.createCompilerHost(options);
      const getSourceFile = host.getSourceFile;
      host.getSourceFile = (file, language, ...rest) =>
        file === generated
          ? ts.createSourceFile(file, edit(readFileSync(file, 'utf8')), language)
          : getSourceFile.call(host, file, language, ...rest);
      const program = ts.createProgram({ rootNames: [repository], options, host, oldProgram });
      const errors = ts
        .getPreEmitDiagnostics(program, program.getSourceFile(repository))
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      return { program, errors };
    };

    const asGenerated = compile((text) => text);
    expect(asGenerated.errors).toEqual([]);

    const renameTitle = (text: string) =>
      text.replace(/(export interface GovernanceGoals \{[^}]*?\n {2})title:/, '$1headline:');
    expect(renameTitle(readFileSync(generated, 'utf8'))).toContain('headline: string;');
    const renamed = compile(renameTitle, asGenerated.program);
    expect(renamed.errors).toEqual(
      expect.arrayContaining([expect.stringContaining("Property 'title' does not exist")]),
    );

    // retyping a narrowed column fails too: the jsonb success criteria become a number
    const retype = (text: string) =>
      text.replace(
        /(export interface GovernanceGoals \{[^}]*?)success_criteria: unknown;/,
        '$1success_criteria: number;',
      );
    const retyped = compile(retype, asGenerated.program);
    expect(retyped.errors.join('\n')).toMatch(/string\[\]' is not assignable to type 'number'/);
  }, 180_000);
});
