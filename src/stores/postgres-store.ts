import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';

import { ChunkedSessionOptionsError } from '../errors/errors.js';
import type { SessionStore } from './session-store.js';
import {
  checkId,
  checkTtl,
  isPlainRecord,
  parseRecord,
  reaching,
  recordToJson,
  requireClient,
} from './store-support.js';

const STORE = 'PostgresStore';

export interface PostgresStoreOptions {
  /** A `pg` Pool. */
  pool: Pool;
  /**
   * The table, `name` or `schema.name`: letters, digits and `_`, not starting with a digit.
   * It is quoted, so it is case-sensitive. Default `'sessions'`.
   */
  table?: string;
  /** Create the table (and its index) on first use when it does not exist. Default true. */
  createTable?: boolean;
}

const IDENTIFIER = '[A-Za-z_][A-Za-z0-9_]{0,47}';
const TABLE_NAME = new RegExp(`^(?:${IDENTIFIER}\\.)?${IDENTIFIER}$`);
/** How many ids `ids()` reads per query. */
const PAGE = 1000;
/**
 * A `\u0000` or `\udXXX` escape in JSON text written by JSON.stringify (an even number of
 * backslashes before it, so it is an escape and not escaped text): NUL, or a lone surrogate.
 * jsonb refuses both (PostgreSQL 15 §8.14: "\u0000 is disallowed", and Unicode escapes must form
 * valid characters), while JSON carries them.
 */
const JSONB_REFUSES = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f])/i;

/**
 * Keeps each session as a row `(id text primary key, data jsonb not null, expires_at timestamptz
 * not null)`, indexed on `expires_at`, through the user's `pg` Pool (pg is an optional peer
 * dependency, only its types are imported here). Expiry uses the database's clock, so every
 * application instance agrees on it. Expired rows are ignored when read and deleted by
 * `prune()`: call it now and then (a cron job, or a timer of the application's).
 *
 * With `createTable` (the default) the first call creates the table if it does not exist,
 * once per store; a failed attempt is retried by the next call. Creation runs in a transaction
 * under a `pg_advisory_xact_lock`, so any number of instances may start at once. Set
 * `createTable: false` when the application's role may not create tables, and create it with:
 *
 * ```sql
 * CREATE TABLE sessions (id text PRIMARY KEY, data jsonb NOT NULL, expires_at timestamptz NOT NULL);
 * CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
 * ```
 *
 * jsonb cannot hold every string JSON can: it refuses NUL (`\u0000`) and lone surrogates. A record
 * holding one is stored as a jsonb *string* whose text is the record's JSON (so one NUL typed
 * into a form does not make the session unwritable), every other record as a jsonb object, as
 * before; `get` reads both. Nothing to migrate: the column stays `jsonb`. (A version of this
 * library from before this change reads such a row as no record: the session is empty.)
 *
 * When PostgreSQL goes away, queries reject as soon as the pool's connection attempt fails or its
 * connection breaks; the pool drops broken connections (emitting `error` on the pool: listen for
 * it, or Node exits) and opens new ones once PostgreSQL answers again. Suggested pool settings:
 * `connectionTimeoutMillis` (a wait for a free or new connection; default: forever) and
 * `query_timeout` or `statement_timeout`; the library's `storeTimeout` fails a request that
 * waits longer.
 */
export class PostgresStore implements SessionStore {
  readonly pool: Pool;
  /** The table as it appears in SQL, quoted. */
  readonly table: string;
  private readonly tableName: string;
  private readonly indexName: string;
  private readonly createTable: boolean;
  private ready: Promise<void> | undefined;

  constructor(options: PostgresStoreOptions) {
    const {
      pool,
      table = 'sessions',
      createTable = true,
    } = (options ?? {}) as Partial<PostgresStoreOptions>;
    this.pool = requireClient(
      'PostgresStore.pool',
      pool,
      ['query', 'connect'],
      'a pg Pool',
      "Pass a pg Pool: new PostgresStore({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) }) with `import pg from 'pg'`.",
    );
    if (typeof table !== 'string' || !TABLE_NAME.test(table)) {
      throw new ChunkedSessionOptionsError(
        'PostgresStore.table',
        `must be a table name, optionally schema-qualified, of letters, digits and _ (got ${JSON.stringify(table)})`,
        "Pass a name such as 'sessions' or 'auth.sessions' (each part at most 48 characters, not starting with a digit).",
      );
    }
    if (typeof createTable !== 'boolean') {
      throw new ChunkedSessionOptionsError(
        'PostgresStore.createTable',
        `must be true or false (got ${String(createTable)})`,
        'Pass true to create the table on first use, false if it is created elsewhere.',
      );
    }
    this.tableName = table;
    this.table = table
      .split('.')
      .map((part) => `"${part}"`)
      .join('.');
    this.indexName = `"${table.split('.').pop()!}_expires_at_idx"`;
    this.createTable = createTable;
  }

  async get(id: string): Promise<Record<string, unknown> | undefined> {
    checkId(STORE, id);
    const result = await this.query<{ data: unknown }>(
      `SELECT data FROM ${this.table} WHERE id = $1 AND expires_at > now()`,
      [id],
    );
    const data = result.rows[0]?.data;
    // A record jsonb could not hold is a jsonb string of its JSON text (see the class comment).
    if (typeof data === 'string') return parseRecord(data);
    return isPlainRecord(data) ? data : undefined;
  }

  async set(id: string, data: Record<string, unknown>, ttlSeconds: number): Promise<void> {
    checkId(STORE, id);
    const seconds = checkTtl(STORE, ttlSeconds);
    const json = recordToJson(STORE, data);
    const value = JSONB_REFUSES.test(json) ? JSON.stringify(json) : json;
    await this.query(
      `INSERT INTO ${this.table} (id, data, expires_at)
       VALUES ($1, $2::jsonb, now() + $3::float8 * interval '1 second')
       ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`,
      [id, value, seconds],
    );
  }

  async destroy(id: string): Promise<void> {
    checkId(STORE, id);
    await this.query(`DELETE FROM ${this.table} WHERE id = $1`, [id]);
  }

  async touch(id: string, ttlSeconds: number): Promise<void> {
    checkId(STORE, id);
    const seconds = checkTtl(STORE, ttlSeconds);
    await this.query(
      `UPDATE ${this.table} SET expires_at = now() + $2::float8 * interval '1 second'
       WHERE id = $1 AND expires_at > now()`,
      [id, seconds],
    );
  }

  /** Every live id, in id order, read a page at a time. */
  async *ids(): AsyncIterable<string> {
    let after: string | undefined;
    for (;;) {
      const result = await this.query<{ id: string }>(
        after === undefined
          ? `SELECT id FROM ${this.table} WHERE expires_at > now() ORDER BY id LIMIT ${PAGE}`
          : `SELECT id FROM ${this.table} WHERE expires_at > now() AND id > $1 ORDER BY id LIMIT ${PAGE}`,
        after === undefined ? [] : [after],
      );
      for (const row of result.rows) yield row.id;
      if (result.rows.length < PAGE) return;
      after = result.rows[result.rows.length - 1]!.id;
    }
  }

  /** Deletes expired rows; resolves to how many. */
  async prune(): Promise<number> {
    const result = await this.query(`DELETE FROM ${this.table} WHERE expires_at <= now()`);
    return result.rowCount ?? 0;
  }

  /** One query, once the table is there; any failure is the store's. */
  private query<R extends QueryResultRow = QueryResultRow>(
    sql: string,
    params: unknown[] = [],
  ): Promise<QueryResult<R>> {
    return reaching(STORE, async () => {
      await this.ensureTable();
      return this.pool.query<R>(sql, params);
    });
  }

  /** Creates the table once (when `createTable`); a failure lets the next call try again. */
  private ensureTable(): Promise<void> {
    if (!this.createTable) return Promise.resolve();
    this.ready ??= this.create().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async create(): Promise<void> {
    // Already there: nothing to do (and no CREATE privilege needed).
    const found = await this.pool.query<{ exists: boolean }>(
      'SELECT to_regclass($1) IS NOT NULL AS exists',
      [this.table],
    );
    if (found.rows[0]?.exists) return;

    const client: PoolClient = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      try {
        // Instances starting at once take turns; the lock ends with the transaction.
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `nestjs-chunked-session:${this.tableName}`,
        ]);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${this.table} (
             id text PRIMARY KEY,
             data jsonb NOT NULL,
             expires_at timestamptz NOT NULL
           )`,
        );
        await client.query(
          `CREATE INDEX IF NOT EXISTS ${this.indexName} ON ${this.table} (expires_at)`,
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
        // Someone without the lock (another library version, a migration) created it meanwhile.
        const code = (error as { code?: unknown }).code;
        if (code === '23505' || code === '42P07') return;
        throw error;
      }
    } finally {
      // A connection whose rollback failed is not returned to the pool for reuse.
      client.release(broken !== undefined);
    }
  }
}
