/**
 * What an interceptor is: the contract `MemFlow.registerInterceptor` and
 * `registerActivityInterceptor` take (how they are applied: interceptors.ts).
 */

export interface WorkflowInterceptor {
  execute(context: Map<string, any>, next: () => Promise<unknown>): Promise<unknown>;
}

/** The proxied call an activity interceptor wraps. */
export interface InterceptedActivity {
  activityName: string;
  args: unknown[];
  options?: unknown;
}

/** Upstream's name for InterceptedActivity. */
export type ActivityCallContext = InterceptedActivity;

export interface ActivityInterceptor {
  execute(activity: InterceptedActivity, context: Map<string, any>, next: () => Promise<unknown>): Promise<unknown>;
}
