/** Small DOM helpers shared by the pages (text only: nothing is ever parsed as HTML). */

/** The element with `id`, which the page must have, of class `type` (default any element). */
export function byId<T extends HTMLElement>(
  id: string,
  type: abstract new () => T = HTMLElement as unknown as abstract new () => T,
): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no #${id} of the expected kind`);
  return found;
}

/** Creates an element with a class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  opts: { readonly cls?: string; readonly text?: string; readonly title?: string } = {},
  ...children: Node[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (opts.cls !== undefined) node.className = opts.cls;
  if (opts.text !== undefined) node.textContent = opts.text;
  if (opts.title !== undefined) node.title = opts.title;
  for (const child of children) node.append(child);
  return node;
}

/** Shows a banner: `kind` error, warn or info; an optional action button. */
export function banner(
  host: HTMLElement,
  kind: 'error' | 'warn' | 'info',
  message: string,
  action?: { readonly label: string; readonly run: () => void },
): void {
  host.replaceChildren();
  host.className = `banner ${kind}`;
  host.hidden = false;
  host.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  host.append(el('span', { text: message }));
  if (action !== undefined) {
    const button = el('button', { text: action.label, cls: 'banner-action' });
    button.type = 'button';
    button.addEventListener('click', action.run);
    host.append(button);
  }
}

/** Hides a banner. */
export function clearBanner(host: HTMLElement): void {
  host.hidden = true;
  host.replaceChildren();
}

/** Reports failures of a promise the page does not wait for, as a banner, never unhandled. */
export function guard(host: HTMLElement, explain: (err: unknown) => string) {
  return (work: () => Promise<void>): void => {
    work().catch((err: unknown) => banner(host, 'error', explain(err)));
  };
}

/** `1m 05s` from milliseconds. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const m = Math.floor(s / 60);
  return m > 0 ? `${String(m)}m ${String(s % 60).padStart(2, '0')}s` : `${String(s)}s`;
}
