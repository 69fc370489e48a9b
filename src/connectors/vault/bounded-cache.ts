/**
 * A map holding at most `capacity` entries, dropping the least recently used one to make room: the
 * vault's decrypted data keys, so that a process serving many organizations keeps the keys it
 * uses in memory and no more. A Map iterates in insertion order, so a read moves its entry to the
 * end and the first entry is always the least recently used.
 */
export class BoundedCache<V> {
  readonly #capacity: number;
  readonly #entries = new Map<string, V>();

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('a cache holds at least one entry');
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** Removes `key` only while it still holds `value`: a failed load forgets itself, never its successor. */
  deleteIf(key: string, value: V): void {
    if (this.#entries.get(key) === value) this.#entries.delete(key);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}
