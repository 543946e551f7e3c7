/**
 * What this process has opened: one task loop per app engine. `MemFlow.shutdown()` stops them all,
 * then closes every engine and driver.
 */
import { Engine } from '../engine/engine.js';
import { closeAllDrivers } from '../storage/connection.js';
import { TaskLoop, type TaskLoopOptions } from '../worker/task-loop.js';

const loops = new Map<Engine, TaskLoop>();

export function taskLoopFor(engine: Engine, options?: TaskLoopOptions): TaskLoop {
  let loop = loops.get(engine);
  if (!loop) loops.set(engine, (loop = new TaskLoop(engine, options)));
  return loop;
}

export async function stopTaskLoop(engine: Engine): Promise<void> {
  const loop = loops.get(engine);
  loops.delete(engine);
  await loop?.stop();
}

export async function shutdownAll(): Promise<void> {
  const all = [...loops.values()];
  loops.clear();
  await Promise.all(all.map((l) => l.stop()));
  for (const engine of await Engine.all()) await engine.close();
  await closeAllDrivers();
}
