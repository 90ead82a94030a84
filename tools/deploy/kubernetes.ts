import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const root = join(__dirname, '..', '..');
const load = createRequire(__filename);

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** Every app, and those that own a Postgres schema (they have migrations). */
export const APPS = readdirSync(join(root, 'apps')).filter((a) => existsSync(join(root, 'apps', a, 'src', 'main.ts'))).sort();
export const SCHEMA_OWNERS = APPS.filter((a) => existsSync(join(root, 'apps', a, 'src', 'migrations')));

/** Renders a kustomization with kustomize (built into kubectl) into its objects. */
export function kustomize(dir: string): K8sObject[] {
  const r = spawnSync('kubectl', ['kustomize', join(root, dir)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`kubectl (with its built-in kustomize) is needed to render ${dir}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`kustomize ${dir} failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => {
    if (d.errors.length) throw new Error(`${dir}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJSON() as K8sObject;
  });
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/**
 * Validates an object against the Kubernetes API's OpenAPI schema for its apiVersion and kind
 * (kubernetes-models: the upstream schemas compiled with ajv). A kind it does not know is an error.
 */
export function validateObject(obj: K8sObject): void {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const modulePath = group ? `kubernetes-models/${group}/${version}/${obj.kind}` : `kubernetes-models/${version}/${obj.kind}`;
  let mod: Record<string, ModelClass>;
  try {
    mod = load(modulePath) as Record<string, ModelClass>;
  } catch {
    throw new Error(`${obj.kind} ${obj.metadata?.name}: no Kubernetes schema for ${obj.apiVersion} ${obj.kind}`);
  }
  const Kind = mod[obj.kind];
  if (!Kind) throw new Error(`${obj.kind} ${obj.metadata?.name}: no Kubernetes schema for ${obj.apiVersion} ${obj.kind}`);
  try {
    new Kind(asServerDecodes(obj)).validate();
  } catch (e) {
    throw new Error(`${obj.kind} ${obj.metadata?.name}: ${(e as Error).message}`);
  }
}

/**
 * kustomize wraps long base64 Secret values over several lines; the API server's base64 decoder
 * (Go encoding/base64) skips line breaks, so the schema's "byte" format is checked without them.
 */
function asServerDecodes(obj: K8sObject): K8sObject {
  const data = obj['data'];
  if (obj.kind !== 'Secret' || !data || typeof data !== 'object') return obj;
  const unwrapped = Object.fromEntries(Object.entries(data as Record<string, string>).map(([k, v]) => [k, v.replace(/[\r\n]/g, '')]));
  return { ...obj, data: unwrapped };
}
