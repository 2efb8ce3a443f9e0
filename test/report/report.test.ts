/**
 * The report in Node (the browser tests are in test/browser): `--html` and
 * `--svg` write self-contained files for every bundled example, the embedded
 * data is what the analysis says, and each fix's embedded result is its
 * re-analysis on the edited graph.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, graphOf } from '../../src/analysis/analyze.js';
import { suggestFixes } from '../../src/analysis/fixes.js';
import { listExamples, runCheck } from '../../src/cli/check.js';
import { build, loadSource, resolveInputs } from '../../src/cli/model_source.js';
import { buildReportModel, type ReportModel } from '../../src/report/model.js';
import { draw } from '../../src/report/draw.js';
import { pngUnavailable } from '../../src/report/png.js';

const dir = mkdtempSync(join(tmpdir(), 'normkit-report-'));

function embedded(html: string): ReportModel {
  const m = /<script type="application\/json" id="nk-model">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'the report data is embedded');
  return JSON.parse(m[1]!) as ReportModel;
}

test('--html and --svg: one self-contained file each, for every bundled example', () => {
  for (const name of listExamples()) {
    const html = join(dir, `${name}.html`), svg = join(dir, `${name}.svg`);
    let err = '';
    const code = runCheck(name, { html, svg }, { out: () => {}, err: (s) => (err += s), color: false });
    assert.ok(code === 0 || code === 1, `${name}: ${err}`);
    assert.match(err, new RegExp(`wrote ${html.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const page = readFileSync(html, 'utf8');
    // No URL the page could fetch: the SVG namespace is the only one.
    assert.deepEqual(page.match(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'<>)]*/gi)?.filter((u) => !u.startsWith('http://www.w3.org/2000/svg')) ?? [], [], name);
    assert.doesNotMatch(page, /<(script|link|img)[^>]+(src|href)=/i, `${name}: no external script, stylesheet or image`);
    const m = embedded(page);
    assert.equal(m.name, name);
    const s = readFileSync(svg, 'utf8');
    assert.match(s, /^<\?xml[^>]*>\n<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(s, /<style>/, 'the standalone SVG carries its stylesheet');
    assert.ok(s.trimEnd().endsWith('</svg>'));
  }
});

test('collapsing-encoder: the data the page draws', () => {
  const src = loadSource('collapsing-encoder');
  const g = graphOf(build(src.spec));
  const a = analyze(g, resolveInputs(g, src.input, src.name), { mode: src.mode ?? 'train' });
  const fixes = suggestFixes(g, a);
  const m = buildReportModel({ name: src.name, graph: g, analysis: a, fixes });
  assert.equal(m.base.failing, '13');
  assert.deepEqual(m.base.chain.map((c) => c.id), ['0', '3', '6', '9', '12']);
  assert.equal(m.base.nodes['13']!.verdict, 'raises');
  assert.deepEqual(m.base.values['12'], [2, 128, 1, 1], 'edge shapes from the rows');
  assert.equal(m.fixes.length, fixes.length);
  // Every fix's embedded state is a re-analysis that runs, as its verification says.
  m.fixes.forEach((f, k) => {
    assert.equal(f.state.runs, fixes[k]!.verified.runs, f.title);
    assert.equal(f.state.failing, null, f.title);
  });
  assert.equal(m.fixes[1]!.state.nodes['13']!.type, 'GroupNorm');
  assert.equal(m.fixes[1]!.state.nodes['13']!.verdict, 'ok');
  assert.deepEqual(m.fixes[0]!.state.inputShapes, { input: [2, 3, 33, 33] });
  const d = draw(m, m.base);
  assert.match(d.svg, /class="node module verdict-raises failing"[^>]*data-id="13"/);
  assert.equal((d.svg.match(/class="node module chain"/g) ?? []).length, 5);
  assert.match(d.svg, />2x128x1x1</, 'edges labelled with shapes');
});

test('containers are clusters; a collapsed one is drawn as one node', () => {
  const src = loadSource('unet-level');
  const g = graphOf(build(src.spec));
  const a = analyze(g, resolveInputs(g, src.input, src.name), { mode: 'train' });
  const m = buildReportModel({ name: src.name, graph: g, analysis: a, fixes: null });
  assert.deepEqual(m.clusters.map((c) => [c.path, c.parent]), [['3', null], ['3.branches.1', '3']]);
  const open = draw(m, m.base);
  assert.match(open.svg, /data-cluster="3.branches.1"/);
  const shut = draw(m, m.base, { collapsed: new Set(['3']) });
  assert.ok(shut.boxes['cluster:3']);
  assert.equal(shut.boxes['3.branches.1.2'], undefined);
  assert.doesNotMatch(shut.svg, /data-cluster="3.branches.1"/);
});

test('a container raising in its own op (Concat\'s cat) is named as the CLI names it', () => {
  const src = loadSource('unet-level');
  const g = graphOf(build(src.spec));
  const a = analyze(g, resolveInputs(g, src.input, src.name), { mode: 'train' });
  assert.equal(a.failure?.type, 'Concat');
  const m = buildReportModel({ name: src.name, graph: g, analysis: a, fixes: null });
  const id = m.base.failing!;
  assert.equal(m.nodes.find((n) => n.id === id)!.kind, 'function');
  assert.equal(m.base.nodes[id]!.type, 'Concat');
  assert.equal(m.base.nodes[id]!.status, 'raised');
  assert.match(draw(m, m.base).svg, />3 Concat</);
  const html = join(dir, 'unet-level-banner.html');
  runCheck('unet-level', { html, fixes: false }, { out: () => {}, err: () => {}, color: false });
  assert.match(readFileSync(html, 'utf8'), /Raises at 2x1x30x30: Concat at 3/);
});

test('a sweep adds the plot: values per statistic against size, the working sizes shaded', () => {
  const html = join(dir, 'sweep.html');
  runCheck('collapsing-encoder', { html, sweep: '8..64' }, { out: () => {}, err: () => {}, color: false });
  const page = readFileSync(html, 'utf8');
  const m = embedded(page);
  assert.ok(m.sweep);
  assert.equal(m.sweep.sizes.length, 57);
  const last = m.sweep.series.find((s) => s.path === '13')!;
  // At 32x32 the last norm sees a 1x1 map: one value per statistic; at 64x64, 2x2.
  assert.equal(last.values[m.sweep.sizes.indexOf(32)], 1);
  assert.equal(last.values[m.sweep.sizes.indexOf(64)], 4);
  assert.match(page, /<rect class="working"/);
});

const noPng = pngUnavailable();
if (noPng !== null && process.env['NORMKIT_REQUIRE_PEERS'] === '1') throw new Error(`NORMKIT_REQUIRE_PEERS=1 but ${noPng}`);
if (noPng !== null) console.log(`# --png test skipped: ${noPng}`);

test('--png: the graph rasterized by resvg (WebAssembly)', { skip: noPng ?? false }, () => {
  const png = join(dir, 'graph.png');
  let err = '';
  const code = runCheck('unet-level', { png }, { out: () => {}, err: (s) => (err += s), color: false });
  assert.equal(code, 1, err);
  const bytes = readFileSync(png);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
  // Width and height (IHDR): twice the SVG's size, a few hundred pixels at least.
  assert.ok(bytes.readUInt32BE(16) > 300 && bytes.readUInt32BE(20) > 300);
});
