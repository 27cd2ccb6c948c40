/**
 * A Firestore API server of the test's own: `@firestore-emulator/server` in a child process on a
 * free loopback port (test/support/firestore-emulator.mjs), which the test can stop (every
 * connection cut, nothing listening; the data kept), start again on the same port, and freeze
 * (SIGSTOP: connections stay open and nothing answers). Clients reach it the way Google's
 * emulator is reached, through FIRESTORE_EMULATOR_HOST.
 *
 * The Google client asks the cloud metadata server (169.254.169.254) whether it runs on Google
 * Cloud unless METADATA_SERVER_DETECTION is `none`: this module sets it, so that no traffic
 * leaves the machine, and `recordConnections()` lets a test check what was dialled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

import { Firestore } from '@google-cloud/firestore';

import { freePort, HOST } from './private-servers.js';

process.env.METADATA_SERVER_DETECTION = 'none';

const CHILD = fileURLToPath(new URL('./firestore-emulator.mjs', import.meta.url));

export class PrivateFirestore {
  private child: ChildProcess | undefined;
  private stderrText = '';
  private readonly clients: Firestore[] = [];

  private constructor(readonly port: number) {}

  /** `host:port`, as FIRESTORE_EMULATOR_HOST wants it. */
  get host(): string {
    return `${HOST}:${this.port}`;
  }

  /** What the emulator wrote to stderr (its "not implemented" lines among it). */
  get stderr(): string {
    return this.stderrText;
  }

  static async create(): Promise<PrivateFirestore> {
    const emulator = new PrivateFirestore(await freePort());
    await emulator.spawn();
    return emulator;
  }

  /** A client of this emulator (closed by `dispose()`), for project `projectId`. */
  client(projectId = 'chunked-session-test'): Firestore {
    const previous = process.env.FIRESTORE_EMULATOR_HOST;
    process.env.FIRESTORE_EMULATOR_HOST = this.host;
    try {
      const client = new Firestore({ projectId });
      this.clients.push(client);
      return client;
    } finally {
      if (previous === undefined) delete process.env.FIRESTORE_EMULATOR_HOST;
      else process.env.FIRESTORE_EMULATOR_HOST = previous;
    }
  }

  /** Cuts every connection and stops listening; the documents stay. */
  stop(): Promise<void> {
    return this.ask('close', 'closed');
  }

  /** Listens again on the same port. */
  start(): Promise<void> {
    return this.ask('open', 'opened');
  }

  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  async dispose(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((client) => client.terminate().catch(() => {})));
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  private async spawn(): Promise<void> {
    const child = spawn(process.execPath, [CHILD, String(this.port)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.stderrText += chunk;
    });
    this.child = child;
    const first = await this.reply(child);
    if (first !== `listening ${this.port}`) {
      throw new Error(`the Firestore emulator did not start: ${first} ${this.stderrText}`);
    }
  }

  private async ask(message: string, expected: string): Promise<void> {
    const child = this.child;
    if (!child) throw new Error('the Firestore emulator is not running');
    const reply = this.reply(child);
    child.send(message);
    const got = await reply;
    if (got !== expected) throw new Error(`the Firestore emulator answered ${got} to ${message}`);
  }

  private reply(child: ChildProcess): Promise<string> {
    return new Promise((resolve, reject) => {
      const onMessage = (message: unknown) => {
        child.off('exit', onExit);
        resolve(String(message));
      };
      const onExit = (code: number | null) => {
        child.off('message', onMessage);
        reject(new Error(`the Firestore emulator exited (${code}): ${this.stderrText}`));
      };
      child.once('message', onMessage);
      child.once('exit', onExit);
    });
  }
}

/**
 * Records the address of every TCP connection this process opens until `stop()`: a test checks
 * that only loopback addresses were dialled.
 */
export function recordConnections(): { addresses: string[]; stop(): void } {
  const addresses: string[] = [];
  const original = Socket.prototype.connect;
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    const [first] = args;
    const options = (Array.isArray(first) ? first[0] : first) as
      { host?: string; port?: number; path?: string } | number | string;
    if (typeof options === 'object' && options !== null && options.path === undefined) {
      addresses.push(`${options.host ?? 'localhost'}:${options.port}`);
    } else if (typeof options === 'number') {
      addresses.push(`${typeof args[1] === 'string' ? args[1] : 'localhost'}:${options}`);
    }
    return (original as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof Socket.prototype.connect;
  return {
    addresses,
    stop: () => {
      Socket.prototype.connect = original;
    },
  };
}
