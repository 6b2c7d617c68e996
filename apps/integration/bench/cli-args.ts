/**
 * The command-line arguments of a bench entry. `pnpm bench -- --quick` (and
 * `pnpm --filter … bench -- --quick`) hands the script a leading `--`, which
 * `parseArgs` would take as the end of the options and turn every flag after it
 * into a refused positional argument: it is dropped here.
 */
export function benchArgs(argv: readonly string[] = process.argv.slice(2)): string[] {
  return argv[0] === '--' ? argv.slice(1) : [...argv];
}

/** Parses a `--flag a,b` list of `known` names; an unknown one is an error that lists them. */
export function parseChoices<T extends string>(
  flag: string,
  list: string,
  known: readonly T[],
): T[] {
  return list.split(',').map((raw) => {
    const name = raw.trim();
    const found = known.find((k) => k === name);
    if (found === undefined) {
      throw new Error(`--${flag}: unknown "${name}"; expected ${known.join(', ')}`);
    }
    return found;
  });
}
