/**
 * `npm run bench:onnx FILE.onnx`: what a person sees. On two architecture
 * fixtures (one round) it exits 0 after checking onnxruntime's output against
 * normkit's, and prints one table row per file with a time at 1 and 2
 * threads and onnxruntime's ratio; a file onnxruntime and normkit disagree
 * on cannot be made here, so the failure path is a missing file (exit 1, one
 * line). Skipped without the optional peers (the bench build needs them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { missingPeers } from '../optional_peers.js';
import { ROOT } from '../formats/onnx/corpus.js';

const SKIP = missingPeers('onnxruntime-node') ?? false;
const SCRIPT = join(ROOT, 'dist', 'bench', 'onnx_models.js');
const FIX = join(ROOT, 'test', 'fixtures', 'onnx-archs');

test('bench:onnx times ONNX files in normkit and onnxruntime, outputs checked', { skip: SKIP }, () => {
  assert.ok(existsSync(SCRIPT), 'dist/bench/onnx_models.js is built');
  const files = ['shuffleish.op17.eval.onnx', 'mbv3ish.op13.preserve.onnx'].map((f) => join(FIX, f));
  const r = spawnSync(process.execPath, [SCRIPT, ...files, '--rounds', '1'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| model') && !l.startsWith('| ---'));
  assert.equal(rows.length, 2, r.stdout);
  for (const [k, row] of rows.entries()) {
    const cells = row.split('|').map((c) => c.trim()).filter((c) => c !== '');
    assert.equal(cells[0], ['shuffleish.op17.eval.onnx', 'mbv3ish.op13.preserve.onnx'][k]);
    // normkit 1T, onnxruntime 1T (ratio), PyTorch 1T (none for files), the same at 2T
    assert.equal(cells.length, 7, row);
    assert.ok(Number(cells[1]) > 0 && Number(cells[4]) > 0, row);
    assert.match(cells[2]!, /^\d+\.\d \(\d+\.\d\dx\)$/);
    assert.equal(cells[3], '-');
  }
  assert.match(r.stdout, /load average/);
});

test('bench:onnx on a missing file: exit 1 and one line', { skip: SKIP }, () => {
  const r = spawnSync(process.execPath, [SCRIPT, join(FIX, 'no-such-model.onnx')], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /no-such-model\.onnx/);
});
