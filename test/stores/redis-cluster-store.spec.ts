/**
 * RedisStore against a real three-master Redis Cluster that this file starts on loopback
 * ports and stops afterwards. It needs `redis-server` and `redis-cli` (Debian's redis-server).
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';

import { RedisStore } from '../../src/stores/redis-store.js';
import { until } from '../support/private-servers.js';
import { describeMissing } from '../support/require-server.js';
import { describeStoreConformance, randomId } from './store-conformance.js';

const HOST = '127.0.0.1';
const run = promisify(execFile);

function hasCommand(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** Three ports P, each with its cluster bus port P + 10000 free too. */
async function freePorts(): Promise<number[]> {
  const ports: number[] = [];
  let port = 7101 + Math.floor(Math.random() * 80) * 10;
  while (ports.length < 3 && port < 9000) {
    if ((await portIsFree(port)) && (await portIsFree(port + 10000))) ports.push(port);
    port++;
  }
  if (ports.length < 3)
    throw new Error('no three free ports for a Redis Cluster between 7101 and 9000');
  return ports;
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', HOST, '-p', String(port), ...args], {
    timeout: 10_000,
  });
  return stdout;
}

interface TestCluster {
  ports: number[];
  dir: string;
  servers: ChildProcess[];
}

async function startCluster(): Promise<TestCluster> {
  const ports = await freePorts();
  const dir = await mkdtemp(join(tmpdir(), 'redis-cluster-spec-'));
  const servers = ports.map((port) => {
    // prettier-ignore
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', HOST,
      '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
      '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir,
    ], { stdio: 'ignore' });
    child.on('error', () => undefined);
    return child;
  });
  const cluster: TestCluster = { ports, dir, servers };
  try {
    for (const port of ports) {
      await until(
        `redis-server on port ${port}`,
        async () => (await redisCli(port, 'ping')).includes('PONG'),
        200,
        100,
      );
    }
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((port) => `${HOST}:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    for (const port of ports) {
      await until(
        `cluster_state:ok on port ${port}`,
        async () => (await redisCli(port, 'cluster', 'info')).includes('cluster_state:ok'),
        200,
        100,
      );
    }
  } catch (error) {
    await stopCluster(cluster);
    throw error;
  }
  return cluster;
}

async function stopCluster(cluster: TestCluster | undefined): Promise<void> {
  if (!cluster) return;
  await Promise.all(
    cluster.servers.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  await rm(cluster.dir, { recursive: true, force: true });
}

async function connectCluster(port: number): Promise<Cluster> {
  const client = new Cluster([{ host: HOST, port }], {
    lazyConnect: true,
    enableOfflineQueue: false,
    redisOptions: { maxRetriesPerRequest: 1 },
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function deleteKeys(client: Cluster, pattern: string): Promise<void> {
  for (const node of client.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      // One DEL per key: keys in different slots cannot share a command.
      await Promise.all(keys.map((key) => node.del(key)));
    } while (cursor !== '0');
  }
}

const missing = ['redis-server', 'redis-cli'].filter((command) => !hasCommand(command));

const body = (): void => {
  let cluster: TestCluster | undefined;
  let admin: Cluster;

  beforeAll(async () => {
    cluster = await startCluster();
    admin = await connectCluster(cluster.ports[0]!);
  }, 60_000);

  afterAll(async () => {
    await admin?.quit().catch(() => undefined);
    await stopCluster(cluster);
  }, 30_000);

  describeStoreConformance(
    'RedisStore on a Cluster',
    async () => {
      const client = await connectCluster(cluster!.ports[1]!);
      const prefix = `test:${randomId()}:`;
      return {
        store: new RedisStore({ client, prefix }),
        close: async () => {
          await deleteKeys(client, `${prefix}*`);
          await client.quit();
        },
      };
    },
    { touch: true, ids: true, prune: false },
  );

  describe('cluster specifics', () => {
    it('has three masters, each holding a share of the keys', async () => {
      expect(admin.nodes('master')).toHaveLength(3);
      const store = new RedisStore({ client: admin, prefix: `test:${randomId()}:` });
      const ids = Array.from({ length: 60 }, () => randomId());
      await Promise.all(ids.map((id, i) => store.set(id, { i }, 60)));
      // Keys are spread over the masters (no hash tag pins them to one slot).
      const perNode = await Promise.all(
        admin.nodes('master').map(async (node) => {
          const [, keys] = await node.scan('0', 'MATCH', `${store.prefix}*`, 'COUNT', 1000);
          return keys.length;
        }),
      );
      expect(perNode.filter((n) => n > 0)).toHaveLength(3);
      // ids() scans every master, so it finds them all.
      const found: string[] = [];
      for await (const id of store.ids()) found.push(id);
      expect(found.sort()).toEqual([...ids].sort());
      await Promise.all(ids.map((id) => store.destroy(id)));
      const after: string[] = [];
      for await (const id of store.ids()) after.push(id);
      expect(after).toEqual([]);
    });

    it('a standalone client on one node sees only that node’s keys; the Cluster client sees all', async () => {
      const prefix = `test:${randomId()}:`;
      const store = new RedisStore({ client: admin, prefix });
      const ids = Array.from({ length: 30 }, () => randomId());
      await Promise.all(ids.map((id) => store.set(id, {}, 60)));
      const single = new Redis({ host: HOST, port: cluster!.ports[2]!, lazyConnect: true });
      single.on('error', () => undefined);
      await single.connect();
      try {
        const partial: string[] = [];
        for await (const id of new RedisStore({ client: single, prefix }).ids()) partial.push(id);
        expect(partial.length).toBeGreaterThan(0);
        expect(partial.length).toBeLessThan(ids.length);
      } finally {
        single.disconnect();
        await Promise.all(ids.map((id) => store.destroy(id)));
      }
    });
  });
};

if (missing.length > 0) {
  describeMissing(
    'RedisStore (Redis Cluster)',
    `${missing.join(' and ')} not found; install Debian's redis-server package.`,
    body,
  );
} else {
  describe('RedisStore (Redis Cluster)', body);
}
