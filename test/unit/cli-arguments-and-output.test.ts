/**
 * The CLI's pure parts: JSON arguments (any JSON value comes back as it was; anything else is a
 * ValidationError naming the argument), integer arguments within bounds, what an error becomes
 * (exit code, one line, the lock's hint), and tables (aligned columns, one line per row whatever
 * the cells hold).
 */
import { CommanderError } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../src/cli/failure.js';
import { parseIntegerArgument, parseJsonArgument, parseJsonArray } from '../../src/cli/json-argument.js';
import { cell, table } from '../../src/cli/table.js';
import { DataDirLockedError, JobNotFoundError, ValidationError, WorkflowFailedError } from '../../src/errors.js';

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
};

describe('CLI arguments', () => {
  it('parses any JSON value back to itself', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(parseJsonArgument('value', JSON.stringify(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('refuses text that is not JSON with a ValidationError naming the argument', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('--args', 'signal payload', 'value'), (text, name) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        fc.pre(!valid);
        const err = refusal(() => parseJsonArgument(name, text));
        expect(err).toBeInstanceOf(ValidationError);
        expect((err as ValidationError).field).toBe(name);
        expect((err as Error).message).toMatch(new RegExp(`^Invalid ${name.replace(/[-]/g, '\\-')}: must be JSON \\(`));
      }),
    );
  });

  it('takes only a JSON array as arguments (none when absent)', () => {
    expect(parseJsonArray('--args', undefined)).toEqual([]);
    expect(parseJsonArray('--args', '[1,"a",null]')).toEqual([1, 'a', null]);
    for (const [text, got] of [['{}', 'an object'], ['"x"', 'a string'], ['3', 'a number'], ['null', 'null']]) {
      expect(refusal(() => parseJsonArray('--args', text!))).toMatchObject({ field: '--args', rule: expect.stringContaining(`(got ${got})`) });
    }
  });

  it('takes integers within bounds only', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 2000 }), (n) => {
        const err = refusal(() => parseIntegerArgument('--limit', String(n), 1, 1000));
        if (n >= 1 && n <= 1000) expect(parseIntegerArgument('--limit', String(n), 1, 1000)).toBe(n);
        else expect(err).toMatchObject({ field: '--limit', rule: `must be between 1 and 1000 (got ${n})` });
      }),
    );
    for (const text of ['1.5', 'ten', '', '1e3', '0x10']) expect(refusal(() => parseIntegerArgument('--from', text, 0))).toBeInstanceOf(ValidationError);
  });
});

describe('CLI failures', () => {
  it('maps errors to exit codes and one line', () => {
    expect(describeFailure(new ValidationError('--args', 'must be JSON'))).toEqual({ code: 2, message: 'Invalid --args: must be JSON' });
    expect(describeFailure(new JobNotFoundError('j1'))).toEqual({ code: 3, message: 'j1 Not Found' });
    expect(describeFailure(new WorkflowFailedError('j1', { message: 'boom\nat line 2', code: 598 })).code).toBe(1);
    expect(describeFailure(new WorkflowFailedError('j1', { message: 'boom\n  at line 2', code: 598 })).message).not.toContain('\n');
    expect(describeFailure(new Error('plain'))).toEqual({ code: 1, message: 'plain' });
    expect(describeFailure(new CommanderError(1, 'commander.unknownOption', 'x'))).toEqual({ code: 2, message: '' });
    expect(describeFailure(new CommanderError(0, 'commander.helpDisplayed', 'x'))).toEqual({ code: 0, message: '' });
    const locked = describeFailure(new DataDirLockedError('/data', process.pid + 1));
    expect(locked).toMatchObject({ code: 1, message: expect.stringContaining('in use by process'), hint: expect.stringContaining('--url or DATABASE_URL') });
  });
});

describe('CLI tables', () => {
  it('aligns every column and keeps each row on one line, whatever the cells hold', () => {
    const cellValue = fc.oneof(fc.string(), fc.jsonValue(), fc.constant(null));
    fc.assert(
      fc.property(fc.array(fc.array(cellValue, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 8 }), (rows) => {
        const lines = table(['A', 'BB', 'C'], rows).split('\n');
        expect(lines).toHaveLength(rows.length + 1);
        const cells = rows.map((r) => r.map((v) => cell(v)));
        for (const r of cells) for (const c of r) expect(c).not.toMatch(/\n/);
        // the third column starts at the same offset on every line
        const start = Math.max(1, ...cells.map((r) => r[0]!.length)) + 2 + Math.max(2, ...cells.map((r) => r[1]!.length)) + 2;
        lines.forEach((line, i) => expect(line.slice(start)).toBe(i === 0 ? 'C' : cells[i - 1]![2]!.trimEnd()));
      }),
    );
    expect(table(['A'], [], '(none here)')).toBe('(none here)');
    expect(cell('x'.repeat(100))).toHaveLength(60);
  });
});
