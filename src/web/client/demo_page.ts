/**
 * What the library's demo pages (lib_demo.ts, threads_demo.ts) share: the
 * result of their run shown as JSON in #out, and body[data-ready] set to
 * "true" or "error" for the browser tests to wait on.
 */
export function showResult(run: Promise<unknown>): void {
  const out = document.getElementById('out')!;
  run.then(
    (r) => {
      out.textContent = JSON.stringify(r, null, 2);
      document.body.setAttribute('data-ready', 'true');
    },
    (e: unknown) => {
      out.textContent = `failed: ${(e as Error).stack ?? String(e)}`;
      document.body.setAttribute('data-ready', 'error');
    },
  );
}
