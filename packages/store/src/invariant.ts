// Store invariants as assertions (TigerBeetle style): cheap integer compares on the write and read
// paths that name the broken rule and the values that broke it. invariant() allocates nothing when
// the rule holds (primitive arguments only); the message is built on failure. Policy (who catches):
// a violation on the write path stops the append and makes the store refuse writes (nothing more
// reaches the disk), one on the read path fails that read (logged, an error result), never the
// process.

export class InvariantError extends Error {
  /** the rule that does not hold, e.g. 'flushedPos <= committedPos' */
  readonly invariant: string;
  /** the values it was checked with, by name */
  readonly values: Readonly<Record<string, number>>;

  constructor(invariant: string, values: Record<string, number>) {
    const shown = Object.entries(values).map(([k, v]) => `${k}=${v}`).join(', ');
    super(`store invariant violated: ${invariant} (${shown})`);
    this.name = 'InvariantError';
    this.invariant = invariant;
    this.values = values;
  }
}

/**
 * Throws an InvariantError unless ok. names lists the names of a, b, c, d, comma-separated
 * ('phy,size,writePos'); the values shown are those named.
 */
export function invariant(ok: boolean, rule: string, names: string, a: number, b?: number, c?: number, d?: number): asserts ok {
  if (!ok) throw violation(rule, names, a, b, c, d);
}

function violation(rule: string, names: string, ...vals: (number | undefined)[]): InvariantError {
  const values: Record<string, number> = {};
  names.split(',').forEach((n, i) => { values[n.trim()] = vals[i] ?? NaN; });
  return new InvariantError(rule, values);
}
