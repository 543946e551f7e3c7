/**
 * `MemFlow.workflow`: what workflow and hook functions call. Every durable call is journaled, so a
 * crashed or evicted thread replays to exactly where it was.
 */
import { didInterrupt } from '../errors.js';
import { execChild, executeChild, startChild } from './children.js';
import { context, entity } from './context.js';
import { continueAsNew } from './continue-as-new.js';
import { didRun, getHotMesh, isSideEffectAllowed } from './escape-hatches.js';
import { interrupt } from './interrupt.js';
import { deprecatePatch, patched } from './patching.js';
import { enrich, search } from './search.js';
import { emit, trace } from './telemetry.js';
import { execHook, execHookBatch, hook } from './hooks.js';
import { all, random } from './deterministic.js';
import { getContext } from './introspection.js';
import { proxyActivities } from './proxy-activities.js';
import { signal, waitFor } from './signals.js';
import { sleepFor } from './timers.js';

export const workflow = {
  proxyActivities,
  sleepFor,
  waitFor,
  signal,
  context,
  entity,
  random,
  all,
  getContext,
  didInterrupt,
  hook,
  execHook,
  execHookBatch,
  execChild,
  executeChild,
  startChild,
  search,
  enrich,
  emit,
  trace,
  interrupt,
  continueAsNew,
  patched,
  deprecatePatch,
  didRun,
  isSideEffectAllowed,
  getHotMesh,
};

export { proxyActivities, sleepFor, waitFor, signal, context, entity, random, all, getContext, hook, execHook, execHookBatch, execChild, executeChild, startChild, search, enrich, emit, trace, interrupt, continueAsNew, patched, deprecatePatch };
