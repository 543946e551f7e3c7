// The established MemFlow form: Client, Worker, workflow.*, with a retrying activity and a signal.
import { type ConnectionConfig, MemFlow } from 'hotmesh';

const { greet } = MemFlow.workflow.proxyActivities({
  activities: {
    async greet(name: string) {
      return `Hello, ${name}!`;
    },
  },
  retryPolicy: { maximumAttempts: 3, backoffCoefficient: 2, maximumInterval: '10s' },
});

export async function onboarding(name: string) {
  const greeting = await greet(name);
  await MemFlow.workflow.sleepFor('1 second');
  const approval = await MemFlow.workflow.waitFor<{ approved: boolean }>('approval');
  return { greeting, approved: approval.approved };
}

export async function runEstablished(connection?: ConnectionConfig) {
  const client = new MemFlow.Client({ connection });
  await MemFlow.Worker.create({ connection, namespace: 'onboarding', taskQueue: 'people', workflow: onboarding });

  const handle = await client.workflow.start({
    namespace: 'onboarding',
    taskQueue: 'people',
    workflowName: 'onboarding',
    workflowId: MemFlow.guid(),
    args: ['Ada'],
  });
  await handle.signal('approval', { approved: true }); // kept until the workflow waits for it
  return handle.result(); // { greeting: 'Hello, Ada!', approved: true }
}
