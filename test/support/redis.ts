import { Redis } from 'ioredis';

/** An ioredis client as the issue asks: connected first, no offline queue. */
export async function connectRedis(
  port = 6379,
  options: { keyPrefix?: string } = {},
): Promise<Redis> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    ...options,
  });
  client.on('error', () => undefined); // reported through the commands that fail
  await client.connect();
  return client;
}

/** Deletes every key matching `pattern` (SCAN, bounded by the keyspace). */
export async function deleteKeys(client: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}
