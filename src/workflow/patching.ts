/**
 * Changing workflow code safely while runs are in flight (Temporal's `patched`):
 *
 * ```ts
 * if (MemFlow.workflow.patched('charge-in-cents')) await acts.chargeCents(amount * 100);
 * else await acts.charge(amount);
 * ```
 *
 * Runs recorded before the patch keep replaying the old branch; new runs take the new one. Once no
 * run from before the patch remains, replace `patched` with `deprecatePatch` (then delete it).
 */
import { validateId } from '../validation.js';
import { currentExecution } from './execution.js';

export function patched(patchId: string): boolean {
  validateId('patchId', patchId);
  return currentExecution('patched').run.patched(patchId);
}

export function deprecatePatch(patchId: string): void {
  validateId('patchId', patchId);
  currentExecution('deprecatePatch').run.deprecatePatch(patchId);
}
