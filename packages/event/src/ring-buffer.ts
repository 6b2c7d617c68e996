/** A fixed-capacity FIFO on a circular array: O(1) push and shift, no reallocation. */
export class RingBuffer<T> {
  readonly #items: (T | undefined)[];
  #head = 0;
  #size = 0;

  /** A buffer that holds at most `capacity` items. */
  constructor(readonly capacity: number) {
    this.#items = new Array<T | undefined>(capacity);
  }

  /** Items held. */
  get size(): number {
    return this.#size;
  }

  /** Whether another push would exceed the capacity. */
  get full(): boolean {
    return this.#size >= this.capacity;
  }

  /** Appends an item; returns false (and keeps nothing) when full. */
  push(item: T): boolean {
    if (this.full) return false;
    this.#items[(this.#head + this.#size) % this.capacity] = item;
    this.#size++;
    return true;
  }

  /** Removes and returns the oldest item, `undefined` when empty. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.capacity;
    this.#size--;
    return item;
  }

  /** Drops every item. */
  clear(): void {
    this.#items.fill(undefined);
    this.#head = 0;
    this.#size = 0;
  }
}
