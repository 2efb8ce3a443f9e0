/**
 * The report page's behaviour, on a report body (page.ts's HTML) already in
 * the document: zoom and pan, collapsing containers, search by module path,
 * keyboard access, the theme button, and each fix's verified result (in the
 * model: computed where the model was built, Node for the HTML file, the page
 * itself for the web app). `mountReport` returns a function that detaches it
 * (the web app replaces one report by the next).
 */
import { draw, type Box } from '../draw.js';
import type { ReportModel, RState } from '../model.js';
import { esc, shapeText } from '../svg_text.js';

export interface ReportHooks {
  /** A fix (its index) or the model as given (null) was selected. */
  onFix?: (fix: number | null) => void;
}

const THEMES = ['auto', 'light', 'dark'] as const;
type Theme = (typeof THEMES)[number];
const THEME_KEY = 'normkit-theme';

function storedTheme(): Theme {
  try {
    const t = localStorage.getItem(THEME_KEY);
    return (THEMES as readonly string[]).includes(t ?? '') ? (t as Theme) : 'auto';
  } catch {
    return 'auto'; // storage refused (privacy settings): the system's theme
  }
}

/** Applies a theme to the document (auto: the system's, through prefers-color-scheme). */
export function applyTheme(t: Theme, store = true): void {
  if (t === 'auto') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', t);
  if (!store) return;
  try {
    localStorage.setItem(THEME_KEY, t);
  } catch {
    // not remembered; still applied
  }
}

/** Makes `button` cycle the theme (auto, light, dark), showing the current one; starts from the remembered one. */
export function wireThemeButton(button: HTMLButtonElement): void {
  let theme = storedTheme();
  const show = (): void => {
    button.textContent = `Theme: ${theme}`;
    button.setAttribute('aria-label', `colour theme: ${theme} (press to change)`);
  };
  applyTheme(theme, false);
  show();
  button.addEventListener('click', () => {
    theme = THEMES[(THEMES.indexOf(theme) + 1) % THEMES.length]!;
    applyTheme(theme);
    show();
  });
}

export function mountReport(root: ParentNode, model: ReportModel, hooks: ReportHooks = {}): () => void {
  const $ = (sel: string): HTMLElement => {
    const el = root.querySelector<HTMLElement>(sel);
    if (!el) throw new Error(`the report body has no ${sel}`);
    return el;
  };
  const detach: (() => void)[] = [];
  const listen = <K extends keyof WindowEventMap>(target: Window, type: K, fn: (e: WindowEventMap[K]) => void): void => {
    target.addEventListener(type, fn);
    detach.push(() => target.removeEventListener(type, fn));
  };
  const stage = $('#graph');
  const details = $('#details');
  const resultBox = $('#fix-result');
  const search = $('#search') as HTMLInputElement;
  const searchInfo = $('#search-info');

  const collapsed = new Set<string>();
  let current: { state: RState; fix: number | null } = { state: model.base, fix: null };
  let boxes: Record<string, Box> = {};
  let view = { x: 0, y: 0, w: 100, h: 100 };
  let full = { x: 0, y: 0, w: 100, h: 100 };
  let selected: string | null = null;
  let matches: string[] = [];
  let matchAt = -1;

  function svgEl(): SVGSVGElement | null {
    return stage.querySelector('svg.nk-graph');
  }

  function applyView(): void {
    const svg = svgEl();
    if (svg) svg.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);
  }

  function stageSize(): { w: number; h: number } {
    const r = stage.getBoundingClientRect();
    return { w: Math.max(1, r.width), h: Math.max(1, r.height) };
  }

  /** Shows the whole graph, but never so small that labels are unreadable: a tall graph starts at its failure (or its top). */
  function fit(): void {
    const s = stageSize();
    const scale = Math.min(1.25, Math.max(0.85, Math.min(s.w / full.w, s.h / full.h)));
    const w = s.w / scale, h = s.h / scale;
    const target = current.state.failing !== null ? boxes[current.state.failing] : undefined;
    const cx = full.w * scale <= s.w || !target ? full.x + full.w / 2 : target.x;
    const cy = full.h * scale <= s.h ? full.y + full.h / 2 : target ? Math.min(target.y, full.y + full.h - h / 2) : full.y + h / 2;
    view = { x: cx - w / 2, y: cy - h / 2, w, h };
    applyView();
  }

  function render(keepView: boolean): void {
    const d = draw(model, current.state, { collapsed });
    stage.innerHTML = d.svg;
    boxes = d.boxes;
    const svg = svgEl()!;
    const vb = svg.getAttribute('viewBox')!.split(' ').map(Number);
    full = { x: vb[0]!, y: vb[1]!, w: vb[2]!, h: vb[3]! };
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    if (keepView) applyView();
    else fit();
    markMatches();
    if (selected !== null) {
      const el = nodeEl(selected);
      if (el) el.classList.add('selected');
    }
  }

  function nodeEl(id: string): SVGGElement | null {
    return stage.querySelector(`.node[data-id="${CSS.escape(id)}"]`);
  }

  function centerOn(id: string): void {
    const b = boxes[id];
    if (!b) return;
    view = { ...view, x: b.x - view.w / 2, y: b.y - view.h / 2 };
    applyView();
  }

  function select(id: string): void {
    selected = id;
    stage.querySelectorAll('.node.selected').forEach((e) => e.classList.remove('selected'));
    const el = nodeEl(id);
    if (el) {
      el.classList.add('selected');
      el.focus({ preventScroll: true });
    }
    centerOn(id);
    showDetails(id);
  }

  function showDetails(id: string): void {
    const n = model.nodes.find((x) => x.id === id);
    const s = current.state.nodes[id];
    if (!n) return;
    const rows: [string, string][] = [];
    rows.push(['path', n.kind === 'input' || n.kind === 'output' ? n.path : n.path === '' ? '(root)' : n.path]);
    if (s) {
      rows.push(['class', s.type], ['status', s.status]);
      if (s.inputShape !== undefined) rows.push(['input', shapeText(s.inputShape)]);
      if (s.outputShape !== undefined) rows.push(['output', shapeText(s.outputShape)]);
      if (s.verdict) rows.push(['verdict', s.verdict], ['values per statistic', s.valuesPerStatistic === null || s.valuesPerStatistic === undefined ? 'running statistics' : String(s.valuesPerStatistic)]);
      if (s.reason) rows.push(['why', s.reason]);
    }
    const ch = current.state.chain.find((c) => c.id === id);
    if (ch) rows.push(['shrank the map', `${ch.because}: ${ch.before.join('x')} -> ${ch.after.join('x')}`]);
    if (current.state.failing === id && current.state.error) rows.push(['raises', `${current.state.error.type}: ${current.state.error.message}`]);
    details.innerHTML = `<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
  }

  function markMatches(): void {
    const q = search.value.trim().toLowerCase();
    stage.querySelectorAll('.node.match').forEach((e) => e.classList.remove('match'));
    if (q === '') {
      matches = [];
      searchInfo.textContent = '';
      return;
    }
    matches = model.nodes.filter((n) => `${n.path} ${current.state.nodes[n.id]?.type ?? ''}`.toLowerCase().includes(q)).map((n) => n.id);
    // A match inside a collapsed container: open it.
    let opened = false;
    for (const id of matches) {
      const n = model.nodes.find((x) => x.id === id)!;
      for (const c of [...collapsed]) if (n.cluster !== null && (n.cluster === c || n.cluster.startsWith(c + '.'))) {
        collapsed.delete(c);
        opened = true;
      }
    }
    if (opened) {
      render(true);
      return;
    }
    for (const id of matches) nodeEl(id)?.classList.add('match');
    searchInfo.textContent = `${matches.length} match${matches.length === 1 ? '' : 'es'}`;
  }

  function showState(fix: number | null): void {
    current = fix === null ? { state: model.base, fix: null } : { state: model.fixes[fix]!.state, fix };
    root.querySelectorAll('#fixes button').forEach((b) => b.setAttribute('aria-pressed', String(b.getAttribute('data-fix') === String(fix ?? 'base'))));
    render(true);
    const st = current.state;
    const norms = model.nodes.filter((n) => st.nodes[n.id]?.verdict !== undefined);
    const verdict = st.error ? 'raises' : st.degenerate ? 'degenerate' : norms.some((n) => st.nodes[n.id]!.verdict === 'fallback') ? 'fallback' : 'ok';
    resultBox.className = `result verdict-${verdict}`;
    resultBox.innerHTML =
      `<h3>${fix === null ? 'As given' : `Fix ${fix + 1}: verified result`}</h3>` +
      `<p class="result-line">${esc(st.error ? `raises ${st.error.type}: ${st.error.message}` : `runs${st.degenerate ? ', with degenerate statistics' : ''}: input ${Object.values(st.inputShapes).map((s) => s.join('x')).join(', ')} -> output ${shapeText(st.outputShape)}`)}</p>` +
      `<table><thead><tr><th>norm</th><th>class</th><th title="values per statistic">n/stat</th><th>verdict</th></tr></thead><tbody>${norms
        .map((n) => {
          const s = st.nodes[n.id]!;
          return `<tr class="verdict-${s.verdict}"><td>${esc(n.path)}</td><td>${esc(s.type)}</td><td>${s.valuesPerStatistic ?? '—'}</td><td>${esc(s.verdict!)}</td></tr>`;
        })
        .join('')}</tbody></table>`;
    if (fix !== null) resultBox.scrollIntoView({ block: 'nearest' });
  }

  // Zoom (wheel, around the pointer) and pan (drag).
  stage.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const r = stage.getBoundingClientRect();
      const fx = (e.clientX - r.left) / r.width, fy = (e.clientY - r.top) / r.height;
      const k = Math.exp(e.deltaY * 0.0015);
      const w = Math.min(full.w * 4, Math.max(40, view.w * k)), h = (w / view.w) * view.h;
      view = { x: view.x + (view.w - w) * fx, y: view.y + (view.h - h) * fy, w, h };
      applyView();
    },
    { passive: false },
  );
  let drag: { x: number; y: number; vx: number; vy: number; moved: boolean } | null = null;
  stage.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false };
  });
  listen(window, 'pointermove', (e: PointerEvent) => {
    if (!drag) return;
    const r = stage.getBoundingClientRect();
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (!drag.moved) return;
    stage.classList.add('dragging');
    view = { ...view, x: drag.vx - (dx * view.w) / r.width, y: drag.vy - (dy * view.h) / r.height };
    applyView();
  });
  listen(window, 'pointerup', () => {
    stage.classList.remove('dragging');
    setTimeout(() => (drag = null), 0);
  });

  function toggleCluster(path: string): void {
    if (collapsed.has(path)) collapsed.delete(path);
    else collapsed.add(path);
    render(true);
    const el = stage.querySelector<SVGGElement>(`[data-cluster="${CSS.escape(path)}"]`);
    el?.focus({ preventScroll: true });
  }

  function activate(target: Element | null): void {
    const node = target?.closest('.node[data-id]');
    if (node) return select(node.getAttribute('data-id')!);
    const cl = target?.closest('[data-cluster]');
    if (cl) toggleCluster(cl.getAttribute('data-cluster')!);
  }

  stage.addEventListener('click', (e) => {
    if (drag?.moved) return;
    const t = e.target as Element;
    // A cluster toggles from its header only (clicks on its background pan).
    if (t.closest('.node') || t.closest('.cluster-label')) activate(t);
  });
  stage.addEventListener('keydown', (e) => {
    const t = e.target as Element;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      activate(t);
    } else if (e.key === '+' || e.key === '=' || e.key === '-') {
      const k = e.key === '-' ? 1.25 : 0.8;
      const w = view.w * k, h = view.h * k;
      view = { x: view.x + (view.w - w) / 2, y: view.y + (view.h - h) / 2, w, h };
      applyView();
    } else if (e.key === '0') fit();
  });
  stage.addEventListener('focusin', (e) => {
    const node = (e.target as Element).closest('.node[data-id]');
    if (node) {
      const id = node.getAttribute('data-id')!;
      const b = boxes[id];
      // Keep the focused node in view while tabbing.
      if (b && (b.x < view.x || b.x > view.x + view.w || b.y < view.y || b.y > view.y + view.h)) centerOn(id);
      showDetails(id);
    }
  });

  search.addEventListener('input', () => markMatches());
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && matches.length) {
      e.preventDefault();
      matchAt = (matchAt + 1) % matches.length;
      select(matches[matchAt]!);
    }
  });
  $('#fit').addEventListener('click', () => fit());
  $('#collapse-all').addEventListener('click', () => {
    for (const c of model.clusters) if (c.parent === null) collapsed.add(c.path);
    render(false);
  });
  $('#expand-all').addEventListener('click', () => {
    collapsed.clear();
    render(false);
  });
  root.querySelectorAll<HTMLButtonElement>('#fixes button[data-fix]').forEach((b) =>
    b.addEventListener('click', () => {
      const f = b.getAttribute('data-fix')!;
      showState(f === 'base' ? null : Number(f));
      hooks.onFix?.(f === 'base' ? null : Number(f));
    }),
  );
  listen(window, 'resize', () => fit());


  const themeButton = root.querySelector<HTMLButtonElement>('#theme');
  if (themeButton) wireThemeButton(themeButton);

  render(false);
  showState(null);
  if (model.base.failing !== null) showDetails(model.base.failing);
  return () => {
    for (const d of detach) d();
  };
}
