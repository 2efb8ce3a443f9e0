/**
 * `normkit serve`: the web app's files over HTTP on 127.0.0.1 — the page,
 * the library bundle and its WebAssembly with their content types; nothing
 * outside dist/web (.. and encoded ..), no other method; a taken port moves
 * to the next one unless it was asked for; the command prints its URL and
 * stops on SIGTERM. Every answer carries the cross-origin isolation headers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { startServer, webRoot } from '../../src/cli/serve.js';
import { UsageError } from '../../src/doctor/source.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** A raw request (the path sent as written: fetch would normalize `..`). */
function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('serves dist/web: the page, the library, its wasm; nothing outside it; GET and HEAD only', async () => {
  assert.equal(webRoot(), join(ROOT, 'dist', 'web'));
  const s = await startServer({ port: 0 });
  try {
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get(s.port, '/');
    assert.equal(page.status, 200);
    assert.equal(page.type, 'text/html; charset=utf-8');
    assert.match(page.body.toString(), /<title>normkit doctor<\/title>/);
    const wasm = await get(s.port, '/lib/norm.wasm');
    assert.equal(wasm.type, 'application/wasm');
    assert.deepEqual([...wasm.body.subarray(0, 4)], [0, 0x61, 0x73, 0x6d]);
    assert.equal((await get(s.port, '/lib/normkit.js?v=1')).type, 'text/javascript; charset=utf-8');
    const worker = await get(s.port, '/lib/norm_worker.js');
    assert.equal(worker.status, 200, 'the pool worker beside the library');
    // Cross-origin isolation (SharedArrayBuffer, threads in a page's Worker), on every answer.
    for (const r of [page, wasm, worker, await get(s.port, '/nope.html')]) {
      assert.equal(r.headers['cross-origin-opener-policy'], 'same-origin');
      assert.equal(r.headers['cross-origin-embedder-policy'], 'require-corp');
      assert.equal(r.headers['cross-origin-resource-policy'], 'same-origin');
    }
    for (const p of ['/../package.json', '/%2e%2e/package.json', '/lib/../../src/index.js', '/nope.html', '/lib/', '/%00']) assert.equal((await get(s.port, p)).status, 404, p);
    assert.equal((await get(s.port, '/', 'POST')).status, 405);
    const head = await get(s.port, '/index.html', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
  } finally {
    await s.close();
  }
});

test('a taken port: the next free one by default, an error when the port was asked for', async () => {
  const a = await startServer({ port: 0 });
  try {
    await assert.rejects(startServer({ port: a.port }), (e: unknown) => e instanceof UsageError && e.message === `port ${a.port} is in use: pass another --port`);
    const b = await startServer({ port: a.port, tryNext: true });
    try {
      assert.ok(b.port > a.port && b.port <= a.port + 20, `${b.port} after ${a.port}`);
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
  await assert.rejects(startServer({ port: 0, root: join(ROOT, 'docs') }), /the web app is not built/);
});

test('normkit serve --port 0 prints its URL, serves, and stops on SIGTERM; a bad --port is exit 2', async () => {
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /the web app at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before printing its URL: ${out}`)));
  });
  const r = await fetch(url);
  assert.equal(r.status, 200);
  assert.match(await r.text(), /normkit doctor/);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (c) => resolve(c));
    child.kill('SIGTERM');
  });
  assert.equal(code, 0);
  const bad = spawnSync(process.execPath, [MAIN, 'serve', '--port', 'http'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "normkit serve: --port must be a port number from 0 to 65535, got 'http'\n");
});
