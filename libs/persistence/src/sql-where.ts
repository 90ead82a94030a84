/**
 * A WHERE clause built from fixed conditions whose values are bound, never spliced: each `?` in a
 * condition becomes the next `$n` and its value goes to `params`.
 */
export class SqlWhere {
  readonly params: unknown[] = [];
  private readonly conditions: string[] = [];

  /** Adds a fixed condition with one `?` per value. */
  add(condition: string, ...values: unknown[]): void {
    let sql = condition;
    for (const v of values) sql = sql.replace('?', this.bind(v));
    this.conditions.push(sql);
  }

  /** Binds one more value (a LIMIT, say) and returns its placeholder. */
  bind(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  /** `WHERE a AND b`, or nothing when there is no condition. */
  get clause(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }
}
