/**
 * A table's generated row type with some columns narrowed to what the code knows of them: a jsonb column
 * (`unknown` in the generated types) to the shape the service writes, a checked text column to its union.
 * Every narrowed column must be a column of the row and its narrowed type must fit the column's type, so
 * a column that a migration renames or retypes fails the typecheck here too.
 *
 *   type GoalRow = Narrow<GovernanceGoals, { status: GoalStatus; success_criteria: string[] }>;
 */
export type Narrow<Row, Columns extends { [K in keyof Columns]: K extends keyof Row ? Row[K] : never }> = Omit<
  Row,
  keyof Columns
> &
  Columns;
