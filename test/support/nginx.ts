/**
 * Debian's nginx (`nginx-light`, /usr/sbin/nginx) as a reverse proxy in front of an application
 * under test, as a new user would put it there: its own prefix folder and config, a loopback
 * port, and every buffer at its default (`proxy_buffer_size`, `large_client_header_buffers`, …:
 * none is set). When nginx is not installed the tests SKIP with a printed notice when run by hand
 * and FAIL in CI (`CI=true`), as require-server.ts does for servers.
 *
 * Install it with: apt-get update && apt-get install -y nginx-light
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from '@jest/globals';
import { describeMissing, probeTcp } from './require-server.js';

export const NGINX_PATH = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

export function hasNginx(): boolean {
  try {
    accessSync(NGINX_PATH, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface RunningNginx {
  /** `http://127.0.0.1:<port>`: nginx, proxying every path to the application. */
  url: string;
  /** nginx's error log so far (where "upstream sent too big header" would be). */
  errorLog(): Promise<string>;
  /** Stops nginx and removes its folder. */
  close(): Promise<void>;
}

/** A port nothing listens on now (nginx binds it a moment later). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function config(dir: string, port: number, upstream: string): string {
  return `# Written by test/support/nginx.ts: a stock reverse proxy, every buffer at its default.
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;
events {
  worker_connections 64;
}
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass ${upstream};
    }
  }
}
`;
}

/** Starts nginx in front of `upstream` (`http://127.0.0.1:<port>`). */
export async function startNginx(upstream: string): Promise<RunningNginx> {
  const dir = await mkdtemp(join(tmpdir(), 'chunked-session-nginx-'));
  await mkdir(join(dir, 'logs'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const conf = join(dir, 'nginx.conf');
    await writeFile(conf, config(dir, port, upstream));
    const child: ChildProcess = spawn(
      NGINX_PATH,
      ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const up = await Promise.race([
      (async () => {
        for (let i = 0; i < 100; i++) {
          if (await probeTcp('127.0.0.1', port, 200)) return true;
          await new Promise((r) => setTimeout(r, 50));
        }
        return false;
      })(),
      exited.then(() => false),
    ]);
    if (up) {
      return {
        url: `http://127.0.0.1:${port}`,
        errorLog: async () => readFile(join(dir, 'error.log'), 'utf8').catch(() => ''),
        close: async () => {
          if (child.exitCode === null) {
            child.kill('SIGTERM');
            await exited;
          }
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    if (attempt >= 2) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start: ${stderr.trim() || 'no answer on its port'}`);
    }
  }
}

/** Defines `body` under `title` when nginx is installed; otherwise skips (by hand) or fails (CI). */
export function describeWithNginx(title: string, body: () => void): void {
  if (hasNginx()) {
    describe(title, body);
    return;
  }
  describeMissing(
    title,
    `nginx is not installed at ${NGINX_PATH}. Install it with: apt-get update && apt-get install -y nginx-light (or set NGINX_PATH)`,
    body,
  );
}
