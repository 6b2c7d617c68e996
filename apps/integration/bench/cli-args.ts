/**
 * The command-line arguments of a bench entry. `pnpm bench -- --quick` (and
 * `pnpm --filter … bench -- --quick`) hands the script a leading `--`, which
 * `parseArgs` would take as the end of the options and turn every flag after it
 * into a refused positional argument: it is dropped here.
 */
export function benchArgs(argv: readonly string[] = process.argv.slice(2)): string[] {
  return argv[0] === '--' ? argv.slice(1) : [...argv];
}
