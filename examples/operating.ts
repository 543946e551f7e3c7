// Operating workflows: list and describe them, cancel one gracefully, retry a failed one after a fix,
// fork one from a step, and check new code against a recorded history before it ships.
import { MemFlow, type MemFlowInstance } from 'hotmesh';

let chargeWorks = false; // the bug a deploy fixes

const { reserve, charge, release } = MemFlow.workflow.proxyActivities({
  activities: {
    async reserve(item: string) {
      return `reservation for ${item}`;
    },
    async charge(item: string) {
      if (!chargeWorks) throw new MemFlow.Errors.MemFlowFatalError('payment provider down');
      return `charged ${item}`;
    },
    async release(reservation: string) {
      return `released ${reservation}`;
    },
  },
  retryPolicy: { maximumAttempts: 1 },
});

export async function order(item: string) {
  const reservation = await reserve(item);
  try {
    await MemFlow.workflow.waitFor('confirmed');
  } catch (err) {
    if (!(err instanceof MemFlow.Errors.CancelledError)) throw err;
    return { item, cancelled: true, cleanup: await release(reservation) }; // cleanup may make durable calls
  }
  return { item, receipt: await charge(item) };
}

export async function runOperating(mf: MemFlowInstance) {
  await mf.worker.create({ taskQueue: 'orders', workflow: order });
  const a = await mf.workflow.start({ taskQueue: 'orders', workflowName: 'order', args: ['lamp'], workflowId: 'order-a' });
  const b = await mf.workflow.start({ taskQueue: 'orders', workflowName: 'order', args: ['desk'], workflowId: 'order-b' });
  while ((await mf.workflow.counts({ idPrefix: 'order-' })).waiting < 2) await new Promise((r) => setTimeout(r, 50));

  const page = await mf.workflow.list({ status: 'waiting', workflowName: 'order', limit: 20 });
  const waitingFor = (await a.describe()).waitingFor.signals.map((s) => s.signalId); // ['confirmed']

  await a.cancel({ reason: 'customer changed their mind' }); // waitFor('confirmed') throws a CancelledError
  const cancelled = await a.result(); // { item: 'lamp', cancelled: true, cleanup: 'released reservation for lamp' }

  await b.signal('confirmed', true);
  const failure = await b.result().catch((err) => err.message); // 'payment provider down'
  chargeWorks = true; // the fix is deployed
  await b.retry(); // runs again from charge(): reserve() is not run again
  const retried = await b.result(); // { item: 'desk', receipt: 'charged desk' }

  const history = await b.history(); // the journal as plain JSON: seq, kind, name, status, result, ...
  await MemFlow.testing.replay(history, order, { args: ['desk'] }); // passes: the code still fits the history
  const fork = await b.fork({ fromSeq: 2, workflowId: 'order-b-again' }); // a new job from the first two steps
  const forked = await fork.result(); // reserve() and the signal replayed, charge() ran again

  return { listed: page.items.map((i) => i.workflowId), waitingFor, cancelled, failure, retried, forked, steps: history.length };
}
