/**
 * An action's request body (JSON the page sends), parsed and checked before anything runs: user
 * JSON (a signal's payload, a hook's arguments) arrives as text that must parse, or as a JSON value.
 */
import { ValidationError } from '../errors.js';
import { validateId } from '../validation.js';
import { ACTIONS, type ActionInput, type ActionName } from './dashboard-source.js';

export function isActionName(value: string): value is ActionName {
  return (ACTIONS as readonly string[]).includes(value);
}

function field(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new ValidationError(name, 'must be a string');
  return v;
}

function parseJsonText(name: string, text: string | undefined, fallback: unknown): unknown {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError(name, 'is not valid JSON');
  }
}

/**
 * User JSON as the page sends it, JSON text, or as another client sends it, a JSON value in the body
 * (a string is read as JSON text: send '"text"' for a string).
 */
function jsonField(body: Record<string, unknown>, name: string, fallback: unknown): unknown {
  const v = body[name];
  if (typeof v === 'string' || v === undefined || v === null) return parseJsonText(name, field(body, name), fallback);
  return v;
}

export function parseActionBody(action: ActionName, raw: string): ActionInput {
  let body: unknown;
  try {
    body = raw.length === 0 ? {} : JSON.parse(raw);
  } catch {
    throw new ValidationError('request body', 'is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('request body', 'must be a JSON object');
  const b = body as Record<string, unknown>;
  switch (action) {
    case 'signal':
      return { action, signalId: validateId('signalId', field(b, 'signalId') ?? ''), payload: jsonField(b, 'payload', null) };
    case 'hook': {
      const args = jsonField(b, 'args', []);
      if (!Array.isArray(args)) throw new ValidationError('args', 'must be a JSON array');
      return { action, taskQueue: field(b, 'taskQueue') ?? '', workflowName: field(b, 'workflowName') ?? '', args };
    }
    case 'cancel':
    case 'terminate': {
      const reason = field(b, 'reason');
      if (reason !== undefined && reason.length > 1000) throw new ValidationError('reason', 'must be at most 1000 characters');
      return { action, reason };
    }
    case 'resume':
    case 'retry':
      return { action };
    case 'fork': {
      // a number, or its digits as the page's form sends them
      const from = typeof b.fromSeq === 'number' && Number.isFinite(b.fromSeq) ? String(b.fromSeq) : field(b, 'fromSeq');
      if (from === undefined) return { action };
      if (!/^\d{1,9}$/.test(from)) throw new ValidationError('fromSeq', 'must be a non-negative integer');
      return { action, fromSeq: Number(from) };
    }
  }
}
