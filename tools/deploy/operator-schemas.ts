import Ajv, { type ValidateFunction } from 'ajv';

/**
 * CloudNativePG (postgresql.cnpg.io) and its Barman Cloud plugin (barmancloud.cnpg.io) publish their
 * CRDs with the operator, and no registry package compiles them (there is no
 * @kubernetes-models/cloudnative-pg; the NATS component needs no CRD). So their objects are checked
 * here against schemas of the fields this project uses, written from those projects' API references
 * (CloudNativePG 1.26+, plugin 0.5+), strict as the rest: a field not listed is an error. They catch a
 * misspelled or misplaced field in our manifests; they are not the operators' CRDs, so a value the
 * operator would refuse for a reason of its own (an image it cannot parse, a schedule) only shows on a
 * cluster: `kubectl apply --dry-run=server -k …` where the operator is installed (README).
 */
const string = { type: 'string', minLength: 1 };
const boolean = { type: 'boolean' };
const integer = (minimum = 0) => ({ type: 'integer', minimum });
const quantity = { anyOf: [{ type: 'string', pattern: '^[0-9.]+([KMGTPE]i?|m)?$' }, { type: 'number' }] };
const strings = { type: 'object', additionalProperties: { type: 'string' } };
const closed = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const localRef = closed({ name: string }, ['name']);
const secretKey = closed({ name: string, key: string }, ['name', 'key']);
const metadata = closed(
  {
    name: string,
    namespace: string,
    labels: strings,
    annotations: strings,
  },
  ['name'],
);
const resources = closed({
  requests: { type: 'object', additionalProperties: quantity },
  limits: { type: 'object', additionalProperties: quantity },
});
const compression = { enum: ['gzip', 'bzip2', 'snappy', 'lz4', 'xz', 'zstd'] };

const object = (apiVersion: string, kind: string, spec: unknown) =>
  closed({ apiVersion: { const: apiVersion }, kind: { const: kind }, metadata, spec }, [
    'apiVersion',
    'kind',
    'metadata',
    'spec',
  ]);

const SCHEMAS: Record<string, object> = {
  'postgresql.cnpg.io/v1 Cluster': object(
    'postgresql.cnpg.io/v1',
    'Cluster',
    closed(
      {
        instances: integer(1),
        imageName: string,
        primaryUpdateStrategy: { enum: ['unsupervised', 'supervised'] },
        primaryUpdateMethod: { enum: ['switchover', 'restart'] },
        enableSuperuserAccess: boolean,
        superuserSecret: localRef,
        description: string,
        affinity: closed({
          enablePodAntiAffinity: boolean,
          podAntiAffinityType: { enum: ['preferred', 'required'] },
          topologyKey: string,
          nodeSelector: strings,
        }),
        postgresql: closed({ parameters: strings, pg_hba: { type: 'array', items: { type: 'string' } } }),
        bootstrap: closed({
          initdb: closed({
            database: string,
            owner: string,
            secret: localRef,
            encoding: string,
            localeCollate: string,
            localeCType: string,
            dataChecksums: boolean,
            postInitSQL: { type: 'array', items: string },
            postInitApplicationSQL: { type: 'array', items: string },
            postInitTemplateSQL: { type: 'array', items: string },
          }),
          recovery: closed({
            source: string,
            database: string,
            owner: string,
            secret: localRef,
            recoveryTarget: closed({ targetTime: string, targetImmediate: boolean }),
          }),
        }),
        storage: closed({ size: quantity, storageClass: string, resizeInUseVolumes: boolean }, ['size']),
        walStorage: closed({ size: quantity, storageClass: string, resizeInUseVolumes: boolean }, ['size']),
        resources,
        plugins: {
          type: 'array',
          items: closed({ name: string, enabled: boolean, isWALArchiver: boolean, parameters: strings }, ['name']),
        },
        externalClusters: {
          type: 'array',
          items: closed({ name: string, plugin: closed({ name: string, parameters: strings }, ['name']) }, ['name']),
        },
      },
      ['instances', 'storage'],
    ),
  ),
  'postgresql.cnpg.io/v1 ScheduledBackup': object(
    'postgresql.cnpg.io/v1',
    'ScheduledBackup',
    closed(
      {
        schedule: { type: 'string', pattern: '^\\S+( \\S+){5}$' },
        cluster: localRef,
        backupOwnerReference: { enum: ['none', 'self', 'cluster'] },
        immediate: boolean,
        suspend: boolean,
        method: { enum: ['barmanObjectStore', 'volumeSnapshot', 'plugin'] },
        target: { enum: ['primary', 'prefer-standby'] },
        pluginConfiguration: closed({ name: string, parameters: strings }, ['name']),
      },
      ['schedule', 'cluster'],
    ),
  ),
  'barmancloud.cnpg.io/v1 ObjectStore': object(
    'barmancloud.cnpg.io/v1',
    'ObjectStore',
    closed(
      {
        retentionPolicy: { type: 'string', pattern: '^[1-9][0-9]*[dwm]$' },
        configuration: closed(
          {
            destinationPath: { type: 'string', pattern: '^(s3|gs|https?)://' },
            endpointURL: string,
            s3Credentials: closed({
              accessKeyId: secretKey,
              secretAccessKey: secretKey,
              region: secretKey,
              sessionToken: secretKey,
              inheritFromIAMRole: boolean,
            }),
            wal: closed({ compression, maxParallel: integer(1) }),
            data: closed({ compression, jobs: integer(1), immediateCheckpoint: boolean }),
          },
          ['destinationPath'],
        ),
      },
      ['configuration'],
    ),
  ),
};

const ajv = new Ajv({ allErrors: true, strict: true });
const compiled = new Map<string, ValidateFunction>();

/** The API groups checked here rather than against a registry package's CRD schema. */
export const OPERATOR_ONLY_GROUPS = ['postgresql.cnpg.io', 'barmancloud.cnpg.io'];

/**
 * Validates an object of an operator-only group; false when the object is of another group (the
 * caller validates it against its package's schema). A kind of those groups this file has no schema
 * for is an error.
 */
export function validateOperatorOnlyKind(
  obj: { apiVersion: string; kind: string; metadata?: { name?: string } },
  errors: string[],
): boolean {
  if (!OPERATOR_ONLY_GROUPS.includes(obj.apiVersion.split('/')[0]!)) return false;
  const key = `${obj.apiVersion} ${obj.kind}`;
  const schema = SCHEMAS[key];
  if (!schema) {
    errors.push(`${obj.kind} ${obj.metadata?.name}: no schema for ${key} (tools/deploy/operator-schemas.ts)`);
    return true;
  }
  let validate = compiled.get(key);
  if (!validate) compiled.set(key, (validate = ajv.compile(schema)));
  const name = `${obj.kind} ${obj.metadata?.name}`;
  if (!validate(obj)) {
    for (const e of validate.errors ?? []) {
      const extra =
        e.keyword === 'additionalProperties'
          ? `: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`
          : '';
      errors.push(`${name}: ${e.instancePath || '/'} ${e.message}${extra}`);
    }
  }
  return true;
}
