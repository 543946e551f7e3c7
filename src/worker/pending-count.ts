/** A count of things in flight, and a promise that resolves once it is back to zero (shutdown waits on it). */
export class PendingCount {
  private count = 0;
  private drained: { promise: Promise<void>; resolve(): void } | undefined;

  get size(): number {
    return this.count;
  }

  add(): void {
    this.count++;
  }

  done(): void {
    if (--this.count === 0 && this.drained) {
      this.drained.resolve();
      this.drained = undefined;
    }
  }

  /** Resolves once every one added is done. */
  settled(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    if (!this.drained) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.drained = { promise, resolve };
    }
    return this.drained.promise;
  }
}
