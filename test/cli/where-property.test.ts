// Property test of the --where compiler: random expressions, written out as
// text the way a person would type them, compiled to a MongoDB filter and run
// by mingo over random run documents, must select exactly the documents that
// a direct evaluation of the expression selects.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Query } from 'mingo';
import { compileWhere } from '../../packages/observers/src/query/where.js';

type Value = number | string | boolean | null;
type Expr =
  | { kind: 'cmp'; field: string; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Value }
  | { kind: 'in'; field: string; values: number[]; negated: boolean }
  | { kind: 'exists'; field: string; negated: boolean }
  | { kind: 'not'; inner: Expr }
  | { kind: 'and' | 'or'; left: Expr; right: Expr };

type Doc = Record<string, unknown>;

const FIELDS = ['a', 'b', 'c.d'];
const fieldArb = fc.constantFrom(...FIELDS);
const numberArb = fc.integer({ min: -3, max: 3 });
const equalityValueArb: fc.Arbitrary<Value> = fc.oneof(numberArb, fc.constantFrom('x', 'y z', true, false, null));

const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({
      kind: fc.constant('cmp' as const),
      field: fieldArb,
      op: fc.constantFrom('=' as const, '!=' as const),
      value: equalityValueArb,
    }),
    // order comparisons with numbers only: MongoDB never orders across types
    fc.record({
      kind: fc.constant('cmp' as const),
      field: fieldArb,
      op: fc.constantFrom('<' as const, '<=' as const, '>' as const, '>=' as const),
      value: numberArb,
    }),
    fc.record({
      kind: fc.constant('in' as const),
      field: fieldArb,
      values: fc.array(numberArb, { maxLength: 3 }),
      negated: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('exists' as const), field: fieldArb, negated: fc.boolean() }),
    fc.record({ kind: fc.constant('not' as const), inner: tie('expr') }),
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('expr'), right: tie('expr') }),
  ),
})).expr;

const leafValueArb = fc.oneof(numberArb, fc.constantFrom('x', 'y z', true, false, null));
const docArb: fc.Arbitrary<Doc> = fc
  .record({ a: leafValueArb, b: leafValueArb, d: leafValueArb }, { requiredKeys: [] })
  .map(({ a, b, d }) => {
    const doc: Doc = {};
    if (a !== undefined) doc.a = a;
    if (b !== undefined) doc.b = b;
    if (d !== undefined) doc.c = { d };
    return doc;
  });

/** How a person would type the value: numbers and keywords bare, strings quoted (or bare when they can be). */
function writeValue(value: Value, bare: boolean): string {
  if (typeof value === 'string') return bare && /^\w+$/.test(value) ? value : JSON.stringify(value);
  return String(value);
}

function write(expr: Expr, bare: boolean): string {
  switch (expr.kind) {
    case 'cmp':
      return `${expr.field} ${expr.op} ${writeValue(expr.value, bare)}`;
    case 'in':
      return `${expr.field} ${expr.negated ? 'not in' : 'in'} [${expr.values.join(', ')}]`;
    case 'exists':
      return `${expr.field} ${expr.negated ? 'not exists' : 'exists'}`;
    case 'not':
      return `not (${write(expr.inner, bare)})`;
    default:
      return `(${write(expr.left, bare)}) ${expr.kind} (${write(expr.right, bare)})`;
  }
}

function lookup(doc: Doc, field: string): { present: boolean; value: unknown } {
  if (field === 'c.d') {
    const c = doc.c as Doc | undefined;
    return c && 'd' in c ? { present: true, value: c.d } : { present: false, value: undefined };
  }
  return field in doc ? { present: true, value: doc[field] } : { present: false, value: undefined };
}

/** MongoDB's meaning, written directly. */
function evaluate(expr: Expr, doc: Doc): boolean {
  switch (expr.kind) {
    case 'cmp': {
      const { present, value } = lookup(doc, expr.field);
      const equal = expr.value === null ? !present || value === null : present && value === expr.value;
      if (expr.op === '=') return equal;
      if (expr.op === '!=') return !equal;
      if (typeof value !== 'number') return false;
      const v = expr.value as number;
      return expr.op === '<' ? value < v : expr.op === '<=' ? value <= v : expr.op === '>' ? value > v : value >= v;
    }
    case 'in': {
      const { present, value } = lookup(doc, expr.field);
      const inside = present && expr.values.includes(value as number);
      return expr.negated ? !inside : inside;
    }
    case 'exists':
      return lookup(doc, expr.field).present !== expr.negated;
    case 'not':
      return !evaluate(expr.inner, doc);
    case 'and':
      return evaluate(expr.left, doc) && evaluate(expr.right, doc);
    case 'or':
      return evaluate(expr.left, doc) || evaluate(expr.right, doc);
  }
}

describe('compileWhere: property', () => {
  it('selects exactly the documents the expression means', () => {
    fc.assert(
      fc.property(exprArb, fc.array(docArb, { minLength: 1, maxLength: 12 }), fc.boolean(), (expr, docs, bare) => {
        const text = write(expr, bare);
        const filter = compileWhere(text);
        const selected = new Query(filter)
          .find<Doc>(docs.map((d, i) => ({ ...d, _i: i })))
          .all()
          .map((d) => d._i);
        const expected = docs.flatMap((d, i) => (evaluate(expr, d) ? [i] : []));
        assert.deepEqual(selected, expected, `${text}\n=> ${JSON.stringify(filter)}`);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws anything but a WhereSyntaxError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          compileWhere(text);
        } catch (error) {
          assert.equal((error as Error).name, 'WhereSyntaxError', `${JSON.stringify(text)}: ${(error as Error).stack}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
