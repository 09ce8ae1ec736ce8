// `--name=value` flags of the single-purpose benchmarks (store-bench, timer-bench, ha-bench); run.ts has
// its own full option parser (options.ts).

/** The value of `--name=value` on the command line, converted to the default's type; the default when absent. */
export function arg(name: string, def: number): number;
export function arg(name: string, def: string): string;
export function arg(name: string, def: number | string): number | string {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  if (!a) return def;
  const v = a.slice(name.length + 3);
  return typeof def === 'number' ? Number(v) : v;
}
