import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTracked, waitFor, type Spawned } from './processes.js';
import { freePort } from './net.js';

const folders = new Set<string>();
process.once('exit', () => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** Debian's nginx binary, or NGINX_PATH. */
export function nginxPath(): string | undefined {
  const candidates = [process.env.NGINX_PATH, '/usr/sbin/nginx', '/usr/bin/nginx'].filter((p): p is string => p !== undefined && p !== '');
  return candidates.find((p) => existsSync(p));
}

/**
 * A private nginx in front of server replicas, on its own loopback port, configured as
 * docs/operations.md recommends: WebSocket upgrade passed through, long read timeout for the stream,
 * and a request that finds a replica refusing connections or draining (502/503) tried on the next one.
 * One process (master_process off), so killing it leaves no workers behind.
 */
export class TestNginx {
  private process: Spawned | undefined;
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(upstreamPorts: readonly number[]): Promise<TestNginx> {
    const binary = nginxPath();
    if (binary === undefined) throw new Error('nginx is not installed (apt-get install -y nginx; .ci/run does this)');
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-nginx-'));
    folders.add(dir);
    const nginx = new TestNginx(dir, await freePort());
    for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
    const upstreams = upstreamPorts.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=1s;`).join('\n');
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
worker_rlimit_nofile 8192;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream switchyard {
${upstreams}
  }
  map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
  }
  server {
    listen 127.0.0.1:${nginx.port};
    client_max_body_size 2m;
    location / {
      proxy_pass http://switchyard;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_connect_timeout 2s;
      proxy_read_timeout 75s;
      proxy_buffering off;
      # A replica that refuses the connection (stopped, or draining) never saw the request: try the
      # next one. After a request was sent, only idempotent ones (GET, PUT, DELETE) are retried.
      proxy_next_upstream error timeout http_502 http_503;
      proxy_next_upstream_tries 3;
      proxy_next_upstream_timeout 10s;
    }
  }
}
`,
    );
    nginx.process = spawnTracked(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { env: { PATH: process.env.PATH ?? '' } });
    try {
      await waitFor(
        'nginx listening',
        async () => {
          if (nginx.process?.alive() !== true) throw new Error(`nginx exited: ${nginx.process?.stderr()} ${nginx.errorLog()}`);
          try {
            await fetch(`http://127.0.0.1:${nginx.port}/health/live`, { signal: AbortSignal.timeout(500) });
            return true;
          } catch {
            return false;
          }
        },
        10_000,
        50,
      );
    } catch (error) {
      await nginx.stop();
      throw error;
    }
    return nginx;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  errorLog(): string {
    const path = join(this.dir, 'error.log');
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  }

  async stop(): Promise<void> {
    await this.process?.kill();
    this.process = undefined;
    rmSync(this.dir, { recursive: true, force: true });
    folders.delete(this.dir);
  }
}
