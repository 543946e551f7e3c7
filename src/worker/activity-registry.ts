/**
 * Activity functions by name, one registry per runtime (upstream §4.2): keyed by the function's name,
 * falling back to its key; the first registration of a name wins. A runtime's registry falls back to
 * the process-wide one (the default runtime's), where `proxyActivities` registers at module load.
 */
import type { ActivityFunction } from '../replay/durable-call.js';

export class ActivityRegistry {
  private readonly byName = new Map<string, ActivityFunction>();
  private readonly seen = new WeakSet<object>();

  constructor(private readonly parent?: ActivityRegistry) {}

  register(activities: object | ActivityFunction | undefined): void {
    if (!activities || this.seen.has(activities)) return;
    this.seen.add(activities);
    if (typeof activities === 'function') {
      if (activities.name && !this.byName.has(activities.name)) this.byName.set(activities.name, activities as ActivityFunction);
      return;
    }
    for (const [key, fn] of Object.entries(activities)) {
      if (typeof fn !== 'function') continue;
      const name = fn.name && fn.name !== 'default' ? fn.name : key;
      if (!this.byName.has(name)) this.byName.set(name, fn as ActivityFunction);
      if (key !== name && !this.byName.has(key)) this.byName.set(key, fn as ActivityFunction);
    }
  }

  find(name: string): ActivityFunction | undefined {
    return this.byName.get(name) ?? this.parent?.find(name);
  }

  clear(): void {
    this.byName.clear();
  }
}
