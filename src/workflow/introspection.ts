/**
 * What a workflow or hook can learn about the thread it runs in (upstream's getContext()).
 */
import { type WorkflowContext, workflowContext } from '../compat/workflow-context.js';
import { currentExecution } from './execution.js';

export type { WorkflowContext } from '../compat/workflow-context.js';

export function getContext(): WorkflowContext {
  const { info, run } = currentExecution('getContext');
  return workflowContext(info, run);
}
