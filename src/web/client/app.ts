/**
 * The web app's script (bundled by esbuild into dist/web/index.html): open or
 * drop a model, type its input sizes, pick the mode, and see the same report
 * as `normkit check --html`, computed here (session.ts) and drawn by the
 * report's own code (report/page.ts, report/client/view.ts). A bad file or a
 * bad size is a readable error in the page, never a blank one.
 */
import { defaultAxis, sweepAxes } from '../../doctor/check.js';
import { parseShape, UsageError } from '../../doctor/source.js';
import { mountReport, wireThemeButton } from '../../report/client/view.js';
import { reportBody } from '../../report/page.js';
import { esc } from '../../report/svg_text.js';
import { check, explain, fixedSpec, inputShapes, openFile, type Checked, type Opened } from '../session.js';
import type { ShellExample } from '../shell.js';

function $<T extends HTMLElement = HTMLElement>(sel: string): T {
  const el = document.querySelector<T>(sel);
  if (!el) throw new Error(`the page has no ${sel}`);
  return el;
}

const examples = JSON.parse($('#nk-examples').textContent ?? '[]') as ShellExample[];
const form = $<HTMLFormElement>('#check');
const inputsBox = $('#inputs');
const modeSelect = $<HTMLSelectElement>('#mode');
const sweepField = $<HTMLInputElement>('#sweep');
const axisSelect = $<HTMLSelectElement>('#axis');
const fileInfo = $('#file-info');
const status = $('#status');
const errorBox = $('#app-error');
const intro = $('#intro');
const reportEl = $('#report');
const fixedBox = $('#fixed-spec');
const fileInput = $<HTMLInputElement>('#file');

let opened: Opened | null = null;
let checked: Checked | null = null;
let detach: (() => void) | null = null;
let blobUrl: string | null = null;
/** Counts finished checks (body[data-checks]): what a test waits on. */
let checks = 0;

function clearError(): void {
  errorBox.hidden = true;
  errorBox.textContent = '';
  inputsBox.querySelectorAll('input[aria-invalid]').forEach((i) => i.removeAttribute('aria-invalid'));
}

function showError(e: unknown, what: string): void {
  const x = explain(e);
  if (x === null) console.error(e); // a bug: shown in the page too, and left for the console
  const type = x?.type ?? 'Internal error';
  const message = x?.message ?? `${(e as Error)?.message ?? String(e)} (a bug in normkit: please report it with the file)`;
  const node = x?.nodePath !== undefined ? `<p class="hint">spec node: ${esc(x.nodePath === '' ? '(root)' : x.nodePath)}</p>` : '';
  errorBox.innerHTML = `<div>${esc(what)}</div><pre><span class="type">${esc(type)}</span>: ${esc(message)}</pre>${node}`;
  errorBox.hidden = false;
  status.textContent = '';
}

function clearReport(): void {
  detach?.();
  detach = null;
  checked = null;
  reportEl.innerHTML = '';
  hideFixed();
}

function hideFixed(): void {
  fixedBox.hidden = true;
  fixedBox.innerHTML = '';
  if (blobUrl !== null) URL.revokeObjectURL(blobUrl);
  blobUrl = null;
}

/** The axes a sweep may take for the first input's rank (auto first). */
function fillAxes(rank: number): void {
  const keep = axisSelect.value;
  const axes = sweepAxes(new Array<number>(rank).fill(1));
  const auto = defaultAxis(new Array<number>(rank).fill(1));
  axisSelect.innerHTML = axes.map((a) => `<option value="${a}">${a === 'square' ? 'square (H = W)' : a}${a === auto ? ' (default)' : ''}</option>`).join('');
  axisSelect.value = axes.includes(keep as never) ? keep : auto;
}

function typedSizes(): Record<string, string> {
  const out: Record<string, string> = {};
  inputsBox.querySelectorAll<HTMLInputElement>('input[data-input]').forEach((i) => (out[i.dataset['input']!] = i.value));
  return out;
}

/** Marks the size fields that do not parse or are empty. */
function markInvalid(): void {
  inputsBox.querySelectorAll<HTMLInputElement>('input[data-input]').forEach((i) => {
    let bad = i.value.trim() === '';
    try {
      if (!bad) parseShape(i.value);
    } catch {
      bad = true;
    }
    if (bad) i.setAttribute('aria-invalid', 'true');
    else i.removeAttribute('aria-invalid');
  });
}

function describeFile(o: Opened): string {
  const parts: string[] = [];
  const what = o.onnx ? `ONNX file from ${o.onnx.producer || 'an unknown producer'}, IR ${o.onnx.irVersion}, opset ${o.onnx.opset}` : o.src.bundled ? 'bundled example' : 'JSON spec';
  parts.push(`<b>${esc(o.src.name)}</b> (${esc(what)}, ${o.graph.nodes.length} nodes)`);
  if (o.src.description) parts.push(esc(o.src.description));
  if (o.onnx && o.onnx.notes.length) parts.push(...o.onnx.notes.map((n) => `Note: ${esc(n)}`));
  return parts.join(' · ');
}

/** A model source's bytes (a file, a drop, an example) into the page: the size form, then the check if every size is known. */
function load(name: string, bytes: Uint8Array, bundled: boolean): void {
  clearError();
  clearReport();
  let o: Opened;
  try {
    o = openFile(name, bytes, { bundled });
  } catch (e) {
    opened = null;
    form.hidden = true;
    fileInfo.textContent = '';
    intro.hidden = false;
    showError(e, `Cannot open ${name}:`);
    return;
  }
  opened = o;
  document.querySelectorAll('.examples button').forEach((b) => b.setAttribute('aria-current', String(bundled && b.getAttribute('data-example') === o.src.name)));
  inputsBox.innerHTML = o.inputs
    .map((f, k) => {
      const declared = f.declared ? ` <span class="declared">[${esc(f.declared.join(', '))}]</span>` : '';
      const named = o.inputs.length > 1 || f.name !== 'input' ? `input <b>${esc(f.name)}</b>` : 'Input size';
      return `<div class="field"><label for="in-${k}">${named}${declared}</label><input class="shape" id="in-${k}" data-input="${esc(f.name)}" value="${esc(f.value)}" placeholder="${esc(f.placeholder)}" spellcheck="false" aria-describedby="status"></div>`;
    })
    .join('');
  modeSelect.value = o.mode;
  sweepField.value = '';
  fillAxes(o.inputs[0]?.declared?.length ?? (o.inputs[0]?.value.split('x').length || 4));
  fileInfo.innerHTML = describeFile(o);
  form.hidden = false;
  intro.hidden = true;
  if (o.ready) {
    void run(false);
    return;
  }
  const missing = o.inputs.filter((f) => f.value === '');
  status.textContent = `Type the size of ${missing.map((f) => `input '${f.name}'${f.dynamic.length ? ` (dynamic: ${f.dynamic.join(', ')})` : ''}`).join(' and ')}, then Check.`;
  inputsBox.querySelector<HTMLInputElement>(`#in-${o.inputs.indexOf(missing[0]!)}`)?.focus();
}

const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));

/** Checks the opened model at the typed sizes (and sweeps when a range is typed, or must be). */
async function run(sweepWanted: boolean): Promise<void> {
  if (opened === null) return;
  const o = opened;
  clearError();
  let shapes: Record<string, number[]>;
  try {
    if (sweepWanted && sweepField.value.trim() === '') throw new UsageError('type the sizes to sweep, e.g. 1..96');
    shapes = inputShapes(o, typedSizes());
  } catch (e) {
    markInvalid();
    showError(e, 'Cannot check:');
    return;
  }
  fillAxes(Object.values(shapes)[0]!.length);
  status.textContent = sweepField.value.trim() ? `Checking and sweeping ${sweepField.value.trim()}…` : 'Checking…';
  await nextFrame();
  if (opened !== o) return; // another file came in meanwhile
  let c: Checked;
  try {
    c = check(o, shapes, { mode: modeSelect.value === 'eval' ? 'eval' : 'train', sweep: sweepField.value, axis: axisSelect.value });
  } catch (e) {
    clearReport();
    showError(e, 'Cannot check:');
    return;
  }
  detach?.();
  hideFixed();
  checked = c;
  reportEl.innerHTML = reportBody(c.report, { themeButton: false });
  detach = mountReport(reportEl, c.report, { onFix: showFix });
  const r = c.result;
  const verdict = r.verdict === 'raises' ? `raises ${r.analysis.failure!.error.type}` : r.verdict === 'ok' ? 'ok' : r.verdict;
  const swept = r.sweep ? `; swept ${r.sweep.points.length} sizes: ${r.sweep.summary}` : '';
  status.textContent = `${o.src.name}: ${verdict}; ${r.fixes?.length ?? 0} verified fix${r.fixes?.length === 1 ? '' : 'es'}${swept} (computed in this page in ${Math.round(c.ms)} ms)`;
  document.body.setAttribute('data-checks', String(++checks));
}

/** A selected fix: the edited model (the spec to download) under the report's verified result. */
function showFix(k: number | null): void {
  hideFixed();
  if (k === null || opened === null || checked === null) return;
  const fix = checked.result.fixes?.[k];
  const shown = checked.report.fixes[k];
  if (!fix || !shown) return;
  const st = shown.state;
  const outcome = st.error ? `still raises ${st.error.type}: ${st.error.message}` : `runs${st.degenerate ? ', with degenerate statistics' : ''}: output ${st.outputShape?.join('x') ?? '?'}`;
  const changes = fix.changes.length
    ? `<ul>${fix.changes.map((c) => `<li><code>${esc(c.path === '' ? '(root)' : c.path)}</code>: ${esc(c.from)} → ${esc(c.to)}</li>`).join('')}</ul>`
    : '';
  let spec: ReturnType<typeof fixedSpec>;
  try {
    spec = fixedSpec(opened, fix, checked.result.shapes);
  } catch (e) {
    const shown = explain(e);
    if (shown === null) throw e;
    spec = { note: `This fix cannot be written: ${shown.message}` };
  }
  const link = (file: string) =>
    `<p><a id="download-fix" href="${blobUrl}" download="${esc(file)}">Download ${esc(file)}</a> <span class="hint">(what <code>normkit check ${esc(opened!.src.name)} --apply ${k + 1} --out ${esc(file)}</code> writes)</span></p>`;
  let body: string;
  if ('json' in spec) {
    blobUrl = URL.createObjectURL(new Blob([spec.json], { type: 'application/json' }));
    body = `${link(spec.file)}<pre id="fixed-json">${esc(spec.json)}</pre>`;
  } else if ('onnx' in spec) {
    blobUrl = URL.createObjectURL(new Blob([new Uint8Array(spec.onnx)], { type: 'application/octet-stream' }));
    const notes = spec.notes.map((n) => `<li>${esc(n)}</li>`).join('');
    body = `${link(spec.file)}<p class="hint" id="fixed-onnx">The ONNX file with the fix applied (${(spec.onnx.byteLength / 1024).toFixed(1)} KB): the file's weights kept, its input and output names and dynamic dims.</p>${notes ? `<ul id="fixed-notes">${notes}</ul>` : ''}`;
  } else body = `<p class="hint">${esc(spec.note)}</p>`;
  fixedBox.innerHTML = `<h2>Fix ${k + 1}: the edited model</h2><p>${esc(fix.title)}</p>${changes}<p class="result-line" id="fix-verdict">Verified: ${esc(outcome)}</p>${body}`;
  fixedBox.hidden = false;
}

async function openPicked(files: FileList | null | undefined): Promise<void> {
  const f = files?.[0];
  if (!f) {
    showError(new UsageError('no file in what was dropped: drop a .json spec or an .onnx file'), 'Cannot open:');
    return;
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await f.arrayBuffer());
  } catch (e) {
    showError(new UsageError(`cannot read ${f.name}: ${(e as Error).message}`), `Cannot open ${f.name}:`);
    return;
  }
  load(f.name, bytes, false);
  if (files!.length > 1) status.textContent = `${files!.length} files dropped: opened ${f.name} only. ${status.textContent}`;
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  void run(false);
});
$('#run-sweep').addEventListener('click', () => void run(true));
modeSelect.addEventListener('change', () => {
  if (checked !== null) void run(false);
});
fileInput.addEventListener('change', () => {
  void openPicked(fileInput.files).then(() => (fileInput.value = ''));
});
document.querySelectorAll<HTMLButtonElement>('.examples button[data-example]').forEach((b) =>
  b.addEventListener('click', () => {
    const ex = examples.find((x) => x.name === b.dataset['example']);
    if (ex) load(`${ex.name}.json`, new TextEncoder().encode(ex.text), true);
  }),
);

// Drag and drop, anywhere on the page.
let dragDepth = 0;
const carriesFiles = (e: DragEvent) => Array.from(e.dataTransfer?.types ?? []).includes('Files');
document.addEventListener('dragenter', (e) => {
  if (!carriesFiles(e)) return;
  e.preventDefault();
  dragDepth++;
  document.body.classList.add('dragging');
});
document.addEventListener('dragover', (e) => {
  if (!carriesFiles(e)) return;
  e.preventDefault();
  if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
});
document.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) document.body.classList.remove('dragging');
});
document.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  document.body.classList.remove('dragging');
  void openPicked(e.dataTransfer?.files);
});

wireThemeButton($<HTMLButtonElement>('#theme'));
document.body.setAttribute('data-ready', 'true');
