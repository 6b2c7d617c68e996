/**
 * Where a page keeps the API key a person typed: in memory, and in this tab's
 * session storage only when they ask to stay signed in (it is gone when the tab
 * closes). Never in a URL, a cookie or local storage.
 */

import { banner } from './dom.js';

const STORAGE_KEY = 'prx-voice.api-key';
let inMemory: string | undefined;

/** The key in use, if signed in. */
export function currentKey(): string | undefined {
  if (inMemory !== undefined) return inMemory;
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined; // storage disabled: memory only
  }
}

/** Signs in with `key`; `remember` keeps it in this tab's session storage. */
export function signIn(key: string, remember: boolean): void {
  inMemory = key;
  try {
    if (remember) sessionStorage.setItem(STORAGE_KEY, key);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage disabled: memory only
  }
}

/** Forgets the key. */
export function signOut(): void {
  inMemory = undefined;
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
}

/** The sign-in form both pages show. */
export interface SignInForm {
  readonly signinForm: HTMLFormElement;
  readonly key: HTMLInputElement;
  readonly remember: HTMLInputElement;
  readonly banner: HTMLElement;
}

/**
 * Wires a page's sign-in form: the key field is emptied at once (the key never stays in
 * the page), a blank key is refused in the banner, anything else goes to `submit`.
 */
export function onSignIn(ui: SignInForm, submit: (key: string, remember: boolean) => void): void {
  ui.signinForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const key = ui.key.value.trim();
    ui.key.value = '';
    if (key === '') {
      banner(ui.banner, 'error', 'Type an API key (it starts with pk_).');
      return;
    }
    submit(key, ui.remember.checked);
  });
}
