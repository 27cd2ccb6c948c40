import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';

import { ChunkedSessionOptionsError } from '../../src/errors/errors.js';
import { PostgresStore } from '../../src/stores/postgres-store.js';
import { freePort } from '../support/private-servers.js';
import { describeWithServer } from '../support/require-server.js';
import { describeStoreConformance, randomId } from './store-conformance.js';

const HOST = '127.0.0.1';
const PORT = 5432;
/** Every table this run creates starts with it; afterAll drops any left. */
const RUN = `test_sessions_${randomId().replace(/-/g, '_').toLowerCase()}`;
let tables = 0;
const newTable = (): string => `${RUN}_${++tables}`;

await describeWithServer(
  {
    name: 'PostgreSQL',
    host: HOST,
    port: PORT,
    start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
  'PostgresStore',
  () => {
    let pool: pg.Pool;

    beforeAll(() => {
      pool = new pg.Pool({
        host: HOST,
        port: PORT,
        user: process.env.PGUSER ?? 'postgres',
        database: process.env.PGDATABASE ?? 'test',
        max: 10,
        connectionTimeoutMillis: 5000,
      });
      pool.on('error', () => undefined);
    });

    afterAll(async () => {
      const { rows } = await pool.query<{ name: string }>(
        `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name
           FROM pg_tables WHERE tablename LIKE $1`,
        [`${RUN}%`],
      );
      for (const { name } of rows) await pool.query(`DROP TABLE IF EXISTS ${name}`);
      await pool.end();
    });

    describeStoreConformance(
      'PostgresStore',
      async () => {
        const table = newTable();
        return {
          store: new PostgresStore({ pool, table }),
          close: async () => {
            await pool.query(`DROP TABLE IF EXISTS "${table}"`);
          },
        };
      },
      {
        touch: true,
        ids: true,
        prune: true,
        unreachable: async () => {
          const down = new pg.Pool({
            host: HOST,
            port: await freePort(), // nothing listens there
            user: 'postgres',
            connectionTimeoutMillis: 1000,
          });
          down.on('error', () => undefined);
          return { store: new PostgresStore({ pool: down }), close: () => down.end() };
        },
      },
    );

    describe('table', () => {
      it('refuses bad options with an error naming the option and the fix', () => {
        expect(() => new PostgresStore({} as never)).toThrow(
          'nestjs-chunked-session: option `PostgresStore.pool` is missing. ' +
            "Pass a pg Pool: new PostgresStore({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) }) with `import pg from 'pg'`.",
        );
        for (const table of [
          'sessions; DROP TABLE users',
          'a"b',
          '1sessions',
          'a.b.c',
          '',
          'x'.repeat(49),
          'public.',
        ]) {
          expect(() => new PostgresStore({ pool, table })).toThrow(ChunkedSessionOptionsError);
        }
        expect(() => new PostgresStore({ pool, table: 'a b' })).toThrow(
          'nestjs-chunked-session: option `PostgresStore.table` must be a table name, optionally schema-qualified, ' +
            'of letters, digits and _ (got "a b"). ' +
            "Pass a name such as 'sessions' or 'auth.sessions' (each part at most 48 characters, not starting with a digit).",
        );
        expect(() => new PostgresStore({ pool, createTable: 'yes' as never })).toThrow(
          ChunkedSessionOptionsError,
        );
        expect(new PostgresStore({ pool }).table).toBe('"sessions"');
        expect(new PostgresStore({ pool, table: 'auth.Sessions_1' }).table).toBe(
          '"auth"."Sessions_1"',
        );
      });

      it('creates the table with its columns and an index on expires_at, lazily', async () => {
        const table = newTable();
        const store = new PostgresStore({ pool, table });
        const exists = async () =>
          (await pool.query('SELECT to_regclass($1) AS t', [`"${table}"`])).rows[0].t !== null;
        expect(await exists()).toBe(false);
        await store.get(randomId());
        expect(await exists()).toBe(true);
        const { rows: columns } = await pool.query(
          `SELECT column_name, data_type, is_nullable FROM information_schema.columns
            WHERE table_name = $1 ORDER BY ordinal_position`,
          [table],
        );
        expect(columns).toEqual([
          { column_name: 'id', data_type: 'text', is_nullable: 'NO' },
          { column_name: 'data', data_type: 'jsonb', is_nullable: 'NO' },
          { column_name: 'expires_at', data_type: 'timestamp with time zone', is_nullable: 'NO' },
        ]);
        const { rows: indexes } = await pool.query<{ indexdef: string }>(
          'SELECT indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname',
          [table],
        );
        expect(indexes.map((row) => row.indexdef)).toEqual([
          `CREATE INDEX ${table}_expires_at_idx ON public.${table} USING btree (expires_at)`,
          `CREATE UNIQUE INDEX ${table}_pkey ON public.${table} USING btree (id)`,
        ]);
      });

      it('five instances creating the same new table at once all succeed', async () => {
        const table = newTable();
        const stores = Array.from({ length: 5 }, () => new PostgresStore({ pool, table }));
        const ids = stores.map(() => randomId());
        await Promise.all(stores.map((store, i) => store.set(ids[i]!, { i }, 60)));
        const back = await Promise.all(stores.map((store, i) => store.get(ids[(i + 1) % 5]!)));
        expect(back).toEqual(ids.map((_, i) => ({ i: (i + 1) % 5 })));
      });

      it('five instances on five separate connections at once all succeed too', async () => {
        const table = newTable();
        const pools = Array.from(
          { length: 5 },
          () => new pg.Pool({ host: HOST, port: PORT, user: 'postgres', database: 'test', max: 2 }),
        );
        try {
          const stores = pools.map((own) => new PostgresStore({ pool: own, table }));
          await Promise.all(stores.map((store, i) => store.set(randomId(), { i }, 60)));
          const ids: string[] = [];
          for await (const id of stores[0]!.ids()) ids.push(id);
          expect(ids).toHaveLength(5);
        } finally {
          await Promise.all(pools.map((own) => own.end()));
        }
      });

      it('uses a schema-qualified table', async () => {
        const schema = `${RUN}_schema`;
        await pool.query(`CREATE SCHEMA "${schema}"`);
        try {
          const store = new PostgresStore({ pool, table: `${schema}.sessions` });
          const id = randomId();
          await store.set(id, { in: 'schema' }, 60);
          expect(await store.get(id)).toEqual({ in: 'schema' });
          const { rows } = await pool.query(`SELECT id FROM "${schema}".sessions`);
          expect(rows).toEqual([{ id }]);
        } finally {
          await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
        }
      });

      it('a failed creation is retried by the next call', async () => {
        const schema = `${RUN}_later`;
        const store = new PostgresStore({ pool, table: `${schema}.sessions` });
        await expect(store.get(randomId())).rejects.toMatchObject({
          code: 'ERR_SESSION_STORE_UNAVAILABLE',
          cause: { code: '3F000' }, // no such schema
        });
        await pool.query(`CREATE SCHEMA "${schema}"`);
        try {
          const id = randomId();
          await store.set(id, { retried: true }, 60);
          expect(await store.get(id)).toEqual({ retried: true });
        } finally {
          await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
        }
      });

      it('with createTable: false, creates nothing and rejects while the table is missing', async () => {
        const table = newTable();
        const store = new PostgresStore({ pool, table, createTable: false });
        await expect(store.get(randomId())).rejects.toMatchObject({
          code: 'ERR_SESSION_STORE_UNAVAILABLE',
          message: expect.stringMatching(/^PostgresStore: relation ".+" does not exist$/),
          cause: { code: '42P01' },
        });
        await pool.query(
          `CREATE TABLE "${table}" (id text PRIMARY KEY, data jsonb NOT NULL, expires_at timestamptz NOT NULL)`,
        );
        const id = randomId();
        await store.set(id, { made: 'elsewhere' }, 60);
        expect(await store.get(id)).toEqual({ made: 'elsewhere' });
      });

      it('an id with quotes or SQL in it is only data', async () => {
        const table = newTable();
        const store = new PostgresStore({ pool, table });
        const id = `x'); DROP TABLE "${table}"; --`;
        await store.set(id, { safe: true }, 60);
        expect(await store.get(id)).toEqual({ safe: true });
        await store.destroy(id);
        expect(await store.get(id)).toBeUndefined();
      });

      it('a record jsonb refuses (NUL, lone surrogate) is kept as a jsonb string of its JSON; others stay objects (issue 14)', async () => {
        const table = newTable();
        const store = new PostgresStore({ pool, table });
        const [typed, plain] = [randomId(), randomId()];
        await store.set(typed, { comment: 'one NUL\u0000typed in', odd: '\ud800' }, 60);
        await store.set(plain, { comment: 'nothing odd' }, 60);
        const { rows } = await pool.query<{ id: string; kind: string; text: string }>(
          `SELECT id, jsonb_typeof(data) AS kind, data #>> '{}' AS text FROM "${table}" ORDER BY id`,
        );
        const byId = Object.fromEntries(rows.map((row) => [row.id, row]));
        expect(byId[typed]).toEqual({
          id: typed,
          kind: 'string',
          text: '{"comment":"one NUL\\u0000typed in","odd":"\\ud800"}',
        });
        expect(byId[plain]!.kind).toBe('object');
        expect(await store.get(typed)).toEqual({ comment: 'one NUL\u0000typed in', odd: '\ud800' });
        expect(await store.get(plain)).toEqual({ comment: 'nothing odd' });
      });

      it('rows written by the previous version (jsonb objects, a table created by hand) still read and update (issue 14)', async () => {
        const table = newTable();
        await pool.query(
          `CREATE TABLE "${table}" (id text PRIMARY KEY, data jsonb NOT NULL, expires_at timestamptz NOT NULL)`,
        );
        const id = randomId();
        await pool.query(
          `INSERT INTO "${table}" VALUES ($1, '{"user":{"id":7},"roles":["admin"]}', now() + interval '1 hour')`,
          [id],
        );
        const store = new PostgresStore({ pool, table });
        expect(await store.get(id)).toEqual({ user: { id: 7 }, roles: ['admin'] });
        await store.set(id, { user: { id: 7 }, note: 'now with a NUL \u0000' }, 60);
        expect(await store.get(id)).toEqual({ user: { id: 7 }, note: 'now with a NUL \u0000' });
        // A foreign jsonb value (a number, a list) is no record.
        await pool.query(`UPDATE "${table}" SET data = '[1,2]' WHERE id = $1`, [id]);
        expect(await store.get(id)).toBeUndefined();
        await pool.query(`UPDATE "${table}" SET data = '"not json {"' WHERE id = $1`, [id]);
        expect(await store.get(id)).toBeUndefined();
      });

      it('ids pages through more than one page of rows', async () => {
        const table = newTable();
        const store = new PostgresStore({ pool, table });
        await store.get(randomId()); // creates the table
        await pool.query(
          `INSERT INTO "${table}" (id, data, expires_at)
           SELECT 'id-' || lpad(n::text, 5, '0'), '{}'::jsonb, now() + interval '1 hour'
             FROM generate_series(1, 2500) AS n`,
        );
        const ids: string[] = [];
        for await (const id of store.ids()) ids.push(id);
        expect(ids).toHaveLength(2500);
        expect(new Set(ids).size).toBe(2500);
      });
    });
  },
);
