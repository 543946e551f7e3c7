import { workflow, proxyActivities } from 'hotmesh';
import * as activities from './hello-activities.js';

const { greet } = proxyActivities<typeof activities>({ activities });

export async function example(name: string): Promise<string> {
  const random1 = workflow.random();
  const proxyGreeting = await (greet as any)(name);
  const random2 = workflow.random();
  return `${random1} ${proxyGreeting} ${random2}`;
}
