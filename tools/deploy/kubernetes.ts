import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { validateOperatorOnlyKind } from './operator-schemas';

export const root = join(__dirname, '..', '..');
const load = createRequire(__filename);

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Every app, and those that own a Postgres schema (they have migrations). */
export const APPS = readdirSync(join(root, 'apps'))
  .filter((a) => existsSync(join(root, 'apps', a, 'src', 'main.ts')))
  .sort();
export const SCHEMA_OWNERS = APPS.filter((a) => existsSync(join(root, 'apps', a, 'src', 'migrations')));

/** Renders a kustomization with kustomize (built into kubectl) into its objects. */
export function kustomize(dir: string): K8sObject[] {
  return parseManifests(renderKustomization(join(root, dir)), dir);
}

/** Renders a kustomization at an absolute path (a copy of k8s/ in a temporary directory, for instance). */
export function renderKustomization(path: string): string {
  const r = spawnSync('kubectl', ['kustomize', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`kubectl (with its built-in kustomize) is needed to render ${path}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`kustomize ${path} failed:\n${r.stderr}`);
  return r.stdout;
}

/** YAML documents into objects; a duplicated key is an error, as it is for `kubeconform -strict`. */
export function parseManifests(text: string, where = 'manifest'): K8sObject[] {
  return parseAllDocuments(text, { uniqueKeys: true }).map((d) => {
    if (d.errors.length) throw new Error(`${where}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJSON() as K8sObject;
  });
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/**
 * Where the schema of each API group comes from: the Kubernetes API's own (kubernetes-models, the
 * upstream OpenAPI schemas compiled with ajv), and the CRDs of the operators the overlays rely on,
 * from the registry packages that compile them the same way. CloudNativePG and its Barman Cloud
 * plugin have no such package: see operator-schemas.ts.
 */
const CRD_PACKAGES: Record<string, string> = {
  'keda.sh': '@kubernetes-models/keda',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

function modelPathOf(obj: Pick<K8sObject, 'apiVersion' | 'kind'>): string {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  if (!group) return `kubernetes-models/${version}/${obj.kind}`;
  const crdPackage = CRD_PACKAGES[group!];
  return crdPackage
    ? `${crdPackage}/${group}/${version}/${obj.kind}`
    : `kubernetes-models/${group}/${version}/${obj.kind}`;
}

function modelOf(obj: K8sObject): { Kind: ModelClass; declarations: string } | undefined {
  const path = modelPathOf(obj);
  let mod: Record<string, ModelClass>;
  let file: string;
  try {
    file = load.resolve(path);
    mod = load(path) as Record<string, ModelClass>;
  } catch {
    return undefined;
  }
  const Kind = mod[obj.kind];
  return Kind ? { Kind, declarations: file.replace(/\.js$/, '.d.ts') } : undefined;
}

/**
 * Validates an object against the schema of its apiVersion and kind, strictly: the schema's types,
 * required fields and formats (the compiled OpenAPI schema), and no field the schema does not
 * declare, as `kubeconform -strict` (which the API server's own strict field validation matches): a
 * misspelled `readinessProbes` is an error, not a field the server silently drops. A kind with no
 * known schema is an error.
 */
export function validateObject(obj: K8sObject): void {
  const errors = validateObjects([obj]);
  if (errors.length) throw new Error(errors.join('\n'));
}

/** Every problem of every object, one line each (one TypeScript program for all their kinds). */
export function validateObjects(objects: K8sObject[]): string[] {
  const errors: string[] = [];
  const typed: Array<{ obj: K8sObject; declarations: string }> = [];
  for (const obj of objects) {
    const name = `${obj.kind} ${obj.metadata?.name}`;
    if (validateOperatorOnlyKind(obj, errors)) continue;
    const model = modelOf(obj);
    if (!model) {
      errors.push(`${name}: no Kubernetes schema for ${obj.apiVersion} ${obj.kind}`);
      continue;
    }
    try {
      new model.Kind(asServerDecodes(obj)).validate();
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
    }
    typed.push({ obj, declarations: model.declarations });
  }
  if (typed.length) {
    const program = programFor([...new Set(typed.map((t) => t.declarations))]);
    for (const { obj, declarations } of typed) {
      const type = program.typeOf(declarations, `I${obj.kind}`);
      for (const path of unknownFields(obj, type, program.checker))
        errors.push(`${obj.kind} ${obj.metadata?.name}: unknown field "${path}"`);
    }
  }
  return errors;
}

/**
 * The field names the schemas declare, read from the type declarations the model packages generate
 * from the same OpenAPI and CRD schemas (the compiled validators keep no list of them): walked with
 * the TypeScript checker, an object type with properties allows only those, an index signature
 * (labels, annotations, resource quantities) or an object type with none (an open schema,
 * x-kubernetes-preserve-unknown-fields) allows any key.
 */
function unknownFields(value: unknown, type: ts.Type, checker: ts.TypeChecker, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return [];
  const members = (type.isUnion() ? type.types : [type]).filter(
    (t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)),
  );
  if (Array.isArray(value)) {
    const elements = members
      .filter((t) => checker.isArrayType(t))
      .map((t) => checker.getTypeArguments(t as ts.TypeReference)[0]!);
    if (!elements.length) return []; // not an array in the schema: the schema validation says so
    return value.flatMap((v, i) => unknownFields(v, elements[0]!, checker, `${path}[${i}]`));
  }
  const objects = members.filter((t) => t.flags & ts.TypeFlags.Object && !checker.isArrayType(t));
  if (!objects.length) return [];
  if (objects.some((t) => checker.getIndexInfosOfType(t).length > 0 || t.getProperties().length === 0)) {
    const index = objects.map((t) => checker.getIndexInfosOfType(t)[0]?.type).find((t) => t);
    return index ? Object.entries(value).flatMap(([k, v]) => unknownFields(v, index, checker, `${path}.${k}`)) : [];
  }
  return Object.entries(value).flatMap(([key, v]) => {
    const at = path ? `${path}.${key}` : key;
    const property = objects.map((t) => t.getProperty(key)).find((p) => p);
    if (!property) return [at];
    return unknownFields(v, checker.getNonNullableType(checker.getTypeOfSymbol(property)), checker, at);
  });
}

interface DeclarationsProgram {
  checker: ts.TypeChecker;
  typeOf(file: string, interfaceName: string): ts.Type;
}
const programs = new Map<string, DeclarationsProgram>();

function programFor(files: string[]): DeclarationsProgram {
  const key = [...files].sort().join('\n');
  const cached =
    programs.get(key) ?? [...programs.entries()].find(([k]) => files.every((f) => k.split('\n').includes(f)))?.[1];
  if (cached) return cached;
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  const checker = program.getTypeChecker();
  const made: DeclarationsProgram = {
    checker,
    typeOf(file, interfaceName) {
      const source = program.getSourceFile(file);
      const symbol = source && checker.getSymbolAtLocation(source);
      const declared = symbol && checker.getExportsOfModule(symbol).find((s) => s.name === interfaceName);
      if (!declared) throw new Error(`${file}: no ${interfaceName} declared`);
      return checker.getDeclaredTypeOfSymbol(declared);
    },
  };
  programs.set(key, made);
  return made;
}

/**
 * kustomize wraps long base64 Secret values over several lines; the API server's base64 decoder
 * (Go encoding/base64) skips line breaks, so the schema's "byte" format is checked without them.
 */
function asServerDecodes(obj: K8sObject): K8sObject {
  const data = obj['data'];
  if (obj.kind !== 'Secret' || !data || typeof data !== 'object') return obj;
  const unwrapped = Object.fromEntries(
    Object.entries(data as Record<string, string>).map(([k, v]) => [k, v.replace(/[\r\n]/g, '')]),
  );
  return { ...obj, data: unwrapped };
}
