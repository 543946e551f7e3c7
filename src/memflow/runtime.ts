/**
 * What this process has opened, and who uses it. Engines (one app on one database) are shared by
 * every client and worker that names them; each `MemFlow.init` instance is a scope, and so is the
 * process itself for the established `new Client` / `Worker.create` forms. `mf.shutdown()` closes
 * what no other scope still uses; `MemFlow.shutdown()` closes everything.
 */
import { Engine } from '../engine/engine.js';
import { closeAllDrivers, closeDriver, type DriverTarget } from '../storage/connection.js';
import { TaskLoop, type TaskLoopOptions } from '../worker/task-loop.js';
import { HotMeshEngine } from './interrupt-job.js';

const loops = new Map<Engine, TaskLoop>();
const users = new Map<Engine, Set<Scope>>();

export function taskLoopFor(engine: Engine, options?: TaskLoopOptions): TaskLoop {
  let loop = loops.get(engine);
  if (!loop) loops.set(engine, (loop = new TaskLoop(engine, { ...options, hotMesh: new HotMeshEngine(engine) })));
  return loop;
}

async function closeEngine(engine: Engine): Promise<void> {
  users.delete(engine);
  const loop = loops.get(engine);
  loops.delete(engine);
  await loop?.stop();
  await engine.close();
}

export class Scope {
  private readonly engines = new Set<Engine>();

  /** Open (or share) the engine of `appId` on `target`, and record that this scope uses it. */
  async open(target: DriverTarget, appId: string): Promise<Engine> {
    const engine = await Engine.open(target, appId);
    this.engines.add(engine);
    let set = users.get(engine);
    if (!set) users.set(engine, (set = new Set()));
    set.add(this);
    return engine;
  }

  /** Close the engines only this scope used, and the drivers no open engine uses any more. */
  async close(): Promise<void> {
    const targets = new Map<string, DriverTarget>();
    for (const engine of this.engines) {
      const set = users.get(engine);
      set?.delete(this);
      if (set && set.size > 0) continue;
      targets.set(engine.target.key, engine.target);
      await closeEngine(engine);
    }
    this.engines.clear();
    const stillOpen = new Set((await Engine.all()).map((e) => e.target.key));
    for (const [key, target] of targets) if (!stillOpen.has(key)) await closeDriver(target);
  }
}

/** The scope of the established form (`new Client`, `Worker.create`): closed by MemFlow.shutdown(). */
export const processScope = new Scope();

export async function shutdownAll(): Promise<void> {
  const all = [...loops.values()];
  loops.clear();
  users.clear();
  await Promise.all(all.map((l) => l.stop()));
  for (const engine of await Engine.all()) await engine.close();
  await closeAllDrivers();
}
