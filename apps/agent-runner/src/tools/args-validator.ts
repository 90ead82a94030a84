import Ajv, { type ValidateFunction } from 'ajv';
import type { JsonSchema } from './tool';

/** Validates tool arguments (and final answers) against their JSON schemas before anything runs. */
export class ArgsValidator {
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly compiled = new Map<JsonSchema, ValidateFunction>();

  constructor() {
    // `format: uuid` without pulling in every format: the one format our schemas use.
    this.ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  }

  /** null when valid, else one line per problem naming the field. */
  check(schema: JsonSchema, value: unknown): string | null {
    let fn = this.compiled.get(schema);
    if (!fn) {
      fn = this.ajv.compile(schema);
      this.compiled.set(schema, fn);
    }
    if (fn(value)) return null;
    return (fn.errors ?? [])
      .map(
        (e) =>
          `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? `: ${String(e.params['additionalProperty'])}` : ''}`,
      )
      .join('; ');
  }
}
