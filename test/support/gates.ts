/**
 * Gates for tests whose steps must outlast something: a step waits on its tag's gate until the test
 * opens it, not for a fixed time, so a slow machine cannot end it first. Open them all in afterEach.
 */
export interface Gate {
  opened: Promise<void>;
  open(): void;
}

export function gateSet(): { gate(tag: string): Gate; openAll(): void } {
  const gates = new Map<string, Gate>();
  return {
    gate(tag) {
      let g = gates.get(tag);
      if (!g) {
        let open!: () => void;
        const opened = new Promise<void>((r) => (open = r));
        gates.set(tag, (g = { opened, open }));
      }
      return g;
    },
    openAll() {
      for (const g of gates.values()) g.open();
    },
  };
}

/** `work`, or a failure naming `what` after `ms` (generous: it only catches a wait that never ends). */
export async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
