// The strict JSON check behind every request body: duplicates and deep nests are refused,
// nothing valid is (issue #15 items 5 and 8).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { strictJsonProblem } from '../../src/http/json-body.js';

describe('strictJsonProblem', () => {
  it('accepts any JSON without duplicate keys up to 32 levels, escapes and brackets in strings included', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => strictJsonProblem(JSON.stringify(v)) === null));
    expect(strictJsonProblem('{"a\\"{[":"}]\\\\","b":[{"a":1},{"a":2}],"c":{"a":{}}}')).toBeNull();
    expect(strictJsonProblem('['.repeat(32) + ']'.repeat(32))).toBeNull();
  });

  it('names the first duplicate key and refuses a 33rd level', () => {
    expect(strictJsonProblem('{"x":[1,{"k":1,"j":{"k":2},"k":3}]}')).toBe('duplicate key "k"');
    expect(strictJsonProblem('{"amount":-1, "amount" :1000}')).toBe('duplicate key "amount"');
    expect(strictJsonProblem('['.repeat(33) + ']'.repeat(33))).toBe('nested deeper than 32 levels');
  });
});
