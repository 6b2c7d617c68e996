/**
 * Things arriving over time (requests, frames, events) that a test awaits in
 * order, without sleeping: each `take()` resolves with the next item as soon
 * as it exists.
 */
export class Inbox<T> {
  readonly #items: T[] = [];
  #cursor = 0;
  #waiters: { readonly check: () => boolean }[] = [];

  /** Everything received so far, taken or not. */
  get all(): readonly T[] {
    return this.#items;
  }

  /** Adds an item and wakes the waiters it satisfies. */
  push(item: T): void {
    this.#items.push(item);
    this.#waiters = this.#waiters.filter((waiter) => !waiter.check());
  }

  /** The next item not taken yet. */
  take(): Promise<T> {
    return this.#wait(() => {
      if (this.#cursor >= this.#items.length) return undefined;
      const item = this.#items[this.#cursor] as T;
      this.#cursor += 1;
      return { item };
    });
  }

  /** The first item received (taken or not) that matches. */
  waitFor(predicate: (item: T) => boolean): Promise<T> {
    return this.#wait(() => {
      const found = this.#items.find(predicate);
      return found === undefined ? undefined : { item: found };
    });
  }

  /** Resolves once `condition` holds over everything received. */
  until(condition: (all: readonly T[]) => boolean): Promise<void> {
    return this.#wait(() => (condition(this.#items) ? { item: undefined } : undefined));
  }

  #wait<R>(attempt: () => { readonly item: R } | undefined): Promise<R> {
    const now = attempt();
    if (now !== undefined) return Promise.resolve(now.item);
    return new Promise((resolve) => {
      this.#waiters.push({
        check: () => {
          const got = attempt();
          if (got === undefined) return false;
          resolve(got.item);
          return true;
        },
      });
    });
  }
}
