/**
 * `normkit serve [--port N] [--host H] [--open]`: serves the web app
 * (dist/web, built by `npm run build`) with node:http on 127.0.0.1, at port
 * 8080 or the next free one (an explicit --port must be free), and prints its
 * URL. GET and HEAD of the app's own files only; nothing else is answered,
 * and the app itself makes no requests. Every answer carries the headers that
 * make its pages cross-origin isolated (Cross-Origin-Opener-Policy:
 * same-origin, Cross-Origin-Embedder-Policy: require-corp, and
 * Cross-Origin-Resource-Policy: same-origin so the files may load under
 * them): there SharedArrayBuffer exists, and the library run in a page's
 * dedicated Worker may use threads (lib/threads.html).
 */
import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../doctor/source.js';
import { usageExit } from './model_source.js';

export const DEFAULT_PORT = 8080;
/** How many ports after the default are tried when it is taken. */
const PORT_TRIES = 20;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** dist/web of this package (beside dist/src). */
export function webRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
}

export interface Serving {
  server: Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The file a request path names inside `root`, or null (outside it, or not a file). */
function fileFor(root: string, urlPath: string): string | null {
  let p: string;
  try {
    p = decodeURIComponent(urlPath.split(/[?#]/)[0]!);
  } catch {
    return null;
  }
  if (p.includes('\0')) return null;
  const file = normalize(join(root, p.endsWith('/') ? `${p}index.html` : p));
  if (file !== root && !file.startsWith(root + sep)) return null;
  try {
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = () => {
      server.off('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Serves `root` (default: the package's dist/web). `port` 0 takes any free
 * port; with `tryNext` a taken port moves on to the next ones.
 */
export async function startServer(opts: { root?: string; port?: number; host?: string; tryNext?: boolean } = {}): Promise<Serving> {
  const root = normalize(opts.root ?? webRoot());
  if (!existsSync(join(root, 'index.html'))) throw new UsageError(`the web app is not built (no ${join(root, 'index.html')}): run npm run build`);
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    const head = {
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...head, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    const file = fileFor(root, req.url ?? '/');
    if (file === null) {
      res.writeHead(404, { ...head, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const body = readFileSync(file);
    res.writeHead(200, { ...head, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  const first = opts.port ?? DEFAULT_PORT;
  const tries = opts.tryNext && first !== 0 ? PORT_TRIES : 1;
  let port = -1;
  for (let k = 0; k < tries; k++) {
    try {
      port = await listen(server, first + k, host);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && k + 1 < tries) continue;
      if (code === 'EADDRINUSE') throw new UsageError(tries > 1 ? `ports ${first} to ${first + tries - 1} are all in use: pass --port N` : `port ${first} is in use: pass another --port`);
      if (code === 'EACCES') throw new UsageError(`not allowed to listen on port ${first + k} (ports under 1024 need privileges): pass --port N`);
      throw new UsageError(`cannot listen on ${host}:${first + k}: ${(e as Error).message}`);
    }
  }
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  return {
    server,
    url,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** Opens `url` in the desktop's browser; false when there is no opener. */
function openBrowser(url: string): Promise<boolean> {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  return new Promise((resolve) => {
    const child = spawn(cmd as string, args as string[], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

export interface ServeOptions {
  port?: string;
  host?: string;
  open?: boolean;
}

function parsePort(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be a port number from 0 to 65535, got '${text}'`);
  return n;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the web app (the doctor in a browser page: open or drop a model, see the report) on this machine')
    .option('-p, --port <n>', `port (default ${DEFAULT_PORT}, or the next free one; 0: any free port)`)
    .option('--host <host>', 'address to listen on (default 127.0.0.1: this machine only)')
    .option('--open', "open the page in the desktop's browser")
    .action(async (opts: ServeOptions) => {
      try {
        const port = opts.port !== undefined ? parsePort(opts.port) : DEFAULT_PORT;
        const s = await startServer({ port, tryNext: opts.port === undefined, ...(opts.host !== undefined ? { host: opts.host } : {}) });
        process.stdout.write(`normkit serve: the web app at ${s.url} (files from ${webRoot()}; Ctrl-C stops)\n`);
        if (opts.open && !(await openBrowser(s.url))) process.stderr.write(`normkit serve: could not open a browser; open ${s.url} yourself\n`);
        const stop = () => {
          void s.close().then(() => process.exit(0));
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        // Keep running until a signal: main() returns, the server keeps the process alive.
      } catch (e) {
        process.exitCode = usageExit('serve', e, (t) => process.stderr.write(t));
      }
    });
}
