/**
 * One statement of embedded PGlite in one call into the engine. PGlite's own `query()`
 * enters its WebAssembly Postgres six times a statement (parse, describe the statement,
 * bind, describe the portal, execute, sync), each with its own round of result handling;
 * here a statement text's parameter types are asked once and kept, and every run sends
 * parse, bind, describe, execute and sync in one message: a select by key about 40 % less, an
 * insert about a fifth (`pnpm --filter @prx-voice/storage bench`). Values are serialized and rows parsed as
 * `query()` does — PGlite's own serializers and parsers by type, `toString()` for a type
 * without one — so rows, counts and errors are the same.
 *
 * The factory is self-contained (no imports, nothing of this module's scope) because the
 * worker thread's source embeds it as text: one implementation for both threads.
 */

/** A statement's outcome, as PGlite's `query()` gives it. */
export interface PGliteQueryResult {
  rows: unknown[];
  affectedRows?: number;
  command?: string;
}

/** The part of a PGlite instance a {@link createPGliteQuery} uses. */
export interface PGliteProtocolTarget {
  execProtocol(message: Uint8Array): Promise<{ messages: unknown[] }>;
  _runExclusiveQuery<T>(fn: () => Promise<T>): Promise<T>;
  readonly serializers: Record<number | string, (value: never) => string>;
  readonly parsers: Record<number | string, (value: string, typeId?: number) => unknown>;
}

/** The parts of the `@electric-sql/pglite` module used: its `protocol` and `parse` exports. */
export interface PGliteProtocolLib {
  readonly protocol: {
    readonly serialize: {
      parse(opts: { text: string }): Uint8Array;
      describe(opts: { type: 'S' | 'P' }): Uint8Array;
      bind(opts: { values: (string | null)[] }): Uint8Array;
      execute(opts: Record<string, never>): Uint8Array;
      sync(): Uint8Array;
    };
  };
  readonly parse: {
    parseResults(
      messages: unknown[],
      parsers: PGliteProtocolTarget['parsers'],
    ): readonly { rows: unknown[]; affectedRows?: number; command?: string }[];
    parseDescribeStatementResults(messages: unknown[]): number[];
  };
}

/** How many statement texts' parameter types are kept (the oldest forgotten first). */
export const PGLITE_QUERY_TYPE_CACHE = 1024;

/**
 * A `query(sql, params)` over `db` that runs each statement in one call into the engine.
 *
 * @example
 * const query = createPGliteQuery(db, { protocol, parse }, 1024);
 * const { rows } = await query('select * from sessions where id = $1', [id]);
 */
export function createPGliteQuery(
  db: PGliteProtocolTarget,
  lib: PGliteProtocolLib,
  cacheSize: number,
): (sql: string, params?: readonly unknown[]) => Promise<PGliteQueryResult> {
  const { serialize } = lib.protocol;
  const paramTypes = new Map<string, number[]>();
  const join = (parts: Uint8Array[]): Uint8Array => {
    let length = 0;
    for (const part of parts) length += part.length;
    const out = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  };
  const typesOf = async (sql: string): Promise<number[]> => {
    const known = paramTypes.get(sql);
    if (known !== undefined) return known;
    const described = await db.execProtocol(
      join([serialize.parse({ text: sql }), serialize.describe({ type: 'S' }), serialize.sync()]),
    );
    const types = lib.parse.parseDescribeStatementResults(described.messages);
    if (paramTypes.size >= cacheSize) {
      const oldest = paramTypes.keys().next();
      if (oldest.done !== true) paramTypes.delete(oldest.value);
    }
    paramTypes.set(sql, types);
    return types;
  };
  return (sql, params = []) =>
    db._runExclusiveQuery(async () => {
      const types = await typesOf(sql);
      const values = params.map((param, i) => {
        if (param === null || param === undefined) return null;
        const serializer = db.serializers[types[i] ?? 0];
        return serializer === undefined
          ? (param as { toString(): string }).toString()
          : serializer(param as never);
      });
      const ran = await db.execProtocol(
        join([
          serialize.parse({ text: sql }),
          serialize.bind({ values }),
          serialize.describe({ type: 'P' }),
          serialize.execute({}),
          serialize.sync(),
        ]),
      );
      const [result] = lib.parse.parseResults(ran.messages, db.parsers);
      return {
        rows: result?.rows ?? [],
        ...(result?.affectedRows === undefined ? {} : { affectedRows: result.affectedRows }),
        ...(result?.command === undefined ? {} : { command: result.command }),
      };
    });
}
