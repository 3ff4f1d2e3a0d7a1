import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Debian's nginx (`apt-get install nginx`; `.ci/run` installs it). */
export const NGINX_BIN = '/usr/sbin/nginx'

export function nginxMissing(): string | undefined {
  return existsSync(NGINX_BIN) ? undefined : `${NGINX_BIN} is not installed (apt-get install nginx)`
}

export interface NginxSite {
  /** Port nginx listens on, 127.0.0.1 only. */
  port: number
  /** The gateway, as nginx reaches it. */
  gatewayUrl: string
  /** `<name>` -> the service's URL: `/api/<name>/<rest>` goes to `<url>/<rest>`. */
  services: Record<string, string>
  /**
   * `auth_request`: each call under /api/ is decided by the gateway's `/auth/forward`.
   * `none`: nginx alone in front of the services, for the benchmark's baseline.
   */
  auth: 'auth_request' | 'none'
}

/**
 * The `http` block of a site: the README's forward-authentication example (the one tested).
 * `/auth/*` goes to the gateway (log in, log out); `/auth/forward` is only for nginx itself.
 */
export function nginxSiteConfig(site: NginxSite): string {
  const gateway = new URL(site.gatewayUrl)
  const decide =
    site.auth === 'none'
      ? ''
      : `
      auth_request /_gatehouse;
      auth_request_set $gatehouse_authorization $upstream_http_authorization;
      auth_request_set $gatehouse_set_cookie $upstream_http_set_cookie;
      proxy_set_header Authorization $gatehouse_authorization;
      proxy_set_header Cookie "";
      add_header Set-Cookie $gatehouse_set_cookie always;`
  const names = Object.keys(site.services)
  const upstreams = names.map((name) => `
  upstream service_${name} { server ${new URL(site.services[name]!).host}; keepalive 32; }`)
  const locations = names.map((name) => `
    location /api/${name}/ {${decide}
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://service_${name}/;
    }`)
  return `
  upstream gatehouse { server ${gateway.host}; keepalive 32; }${upstreams.join('')}
  server {
    listen 127.0.0.1:${site.port};

    # The decision sub-request: only nginx itself may send it.
    location = /_gatehouse {
      internal;
      proxy_pass http://gatehouse/auth/forward;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
    location = /auth/forward { return 404; }
    location /auth/ {
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://gatehouse;
    }
${locations.join('')}
  }`
}

export interface RunningNginx {
  url: string
  dir: string
  /** nginx's error log so far. */
  errors(): string
  stop(): Promise<void>
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * Starts nginx in the foreground on `port` with this `http` block; pid, logs and temp files
 * live in a temp dir that `stop()` deletes.
 */
export async function startNginx(port: number, http: string, options: { workers?: number } = {}): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-nginx-'))
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub))
  const conf = `
${process.getuid?.() === 0 ? 'user root;' : ''}
daemon off;
worker_processes ${options.workers ?? 1};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  # By default nginx closes a client's kept-alive connection after 1,000 requests; a load
  # generator's request racing that close is counted as an error (the bench's rounds).
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http}
}
`
  writeFileSync(join(dir, 'nginx.conf'), conf)
  const child: ChildProcess = spawn(NGINX_BIN, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += String(d)))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const errors = () => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8') + stderr
    } catch {
      return stderr
    }
  }
  for (let i = 0; !(await listening(port)); i++) {
    if (child.exitCode !== null || i > 200) {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`nginx did not start: ${errors()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    errors,
    async stop() {
      // SIGQUIT: graceful; the workers end with the master.
      if (child.exitCode === null) child.kill('SIGQUIT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
