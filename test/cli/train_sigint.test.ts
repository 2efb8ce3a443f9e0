/**
 * Ctrl-C during `normkit train` on a terminal: the progress bar hid the
 * cursor (and line wrap); the handler stops the bar, gives both back and
 * exits 130. A pseudo-terminal from Python's pty module stands in for the
 * user's terminal (skipped without /usr/bin/python3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');
const PY = '/usr/bin/python3';

const SCRIPT = String.raw`
import os, pty, signal, sys, time, select
node, main, outdir = sys.argv[1], sys.argv[2], sys.argv[3]
pid, fd = pty.fork()
if pid == 0:
    os.execv(node, [node, main, 'train', '--epochs', '1000', '--steps-per-epoch', '1000', '--batch-size', '2', '--size', '8', '--out', outdir])
buf = b''
deadline = time.time() + 60
sent = False
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
    if not sent and b'epoch 1/' in buf:
        time.sleep(0.3)
        os.kill(pid, signal.SIGINT)
        sent = True
_, status = os.waitpid(pid, 0)
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
hide = buf.rfind(b'\x1b[?25l')
show = buf.rfind(b'\x1b[?25h')
print(code, int(sent), int(hide >= 0), int(show > hide), int(buf.rfind(b'\x1b[?7h') > hide))
`;

test('Ctrl-C during normkit train restores the cursor and line wrap and exits 130', { skip: !existsSync(PY) && 'no /usr/bin/python3' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'nk-sigint-'));
  try {
    const script = join(dir, 'sigint_in_a_pty.py');
    writeFileSync(script, SCRIPT);
    const r = spawnSync(PY, [script, process.execPath, main, join(dir, 'out')], { encoding: 'utf8', timeout: 90_000 });
    const [code, sent, hidden, shown, wrap] = r.stdout.trim().split(' ').map(Number);
    assert.equal(sent, 1, `the bar never showed: ${r.stdout}${r.stderr}`);
    assert.equal(hidden, 1, 'the bar hides the cursor');
    assert.equal(shown, 1, 'cursor shown again after the interrupt');
    assert.equal(wrap, 1, 'line wrap back on');
    assert.equal(code, 130);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
