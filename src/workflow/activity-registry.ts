/**
 * The process-wide activity registry (upstream §4.2): keyed by the function's name, falling back to
 * its key; the first registration of a name wins.
 */
type ActivityFunction = (...args: any[]) => unknown;

const registry = new Map<string, ActivityFunction>();

export function registerActivities(activities: object | ActivityFunction | undefined): void {
  if (!activities) return;
  if (typeof activities === 'function') {
    if (activities.name && !registry.has(activities.name)) registry.set(activities.name, activities as ActivityFunction);
    return;
  }
  for (const [key, fn] of Object.entries(activities)) {
    if (typeof fn !== 'function') continue;
    const name = fn.name && fn.name !== 'default' ? fn.name : key;
    if (!registry.has(name)) registry.set(name, fn as ActivityFunction);
    if (key !== name && !registry.has(key)) registry.set(key, fn as ActivityFunction);
  }
}

export function findActivity(name: string): ActivityFunction | undefined {
  return registry.get(name);
}

export function activityNames(): string[] {
  return [...registry.keys()];
}
