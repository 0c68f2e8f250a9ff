import type { JsonObject, JsonValue } from '@ritual/core';
import { tokenize, WhereSyntaxError, type ComparisonOperator, type Token } from './where-lexer.js';
import { errorMessage } from '@ritual/core/observer-kit';

export { WhereSyntaxError } from './where-lexer.js';

/**
 * A MongoDB query document. Values are JSON, except that comparisons on the
 * run's time fields carry Dates (stores hold BSON Dates / Date objects there,
 * and a string never compares equal or ordered to a Date).
 */
export type RunFilter = JsonObject;

/** Short names people type, mapped to where the value lives in a run document. */
const FIELD_ALIASES: Record<string, string> = { id: '_id', name: 'experiment.name' };

/** Fields that hold times: a value like `2026-11-27` or `2026-11-27T10:42` is compared as a Date. */
const TIME_FIELDS = new Set(['start_time', 'heartbeat', 'stop_time', 'meta.queue_time']);

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'exists']);

const MONGO_OPERATOR: Record<ComparisonOperator, string | null> = {
  '=': null,
  '==': null,
  '!=': '$ne',
  '<': '$lt',
  '<=': '$lte',
  '>': '$gt',
  '>=': '$gte',
};

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?Z?$/;

/**
 * Compile a `--where` expression into a MongoDB filter that every RunStore
 * accepts. Two forms:
 * - raw JSON, when the text starts with `{`: passed through as the filter;
 * - a small readable syntax: `config.lr < 0.01 and status = COMPLETED`,
 *   operators `= != < <= > >=`, `in [..]`, `not in [..]`, `exists`,
 *   `not exists`, `and`/`or`/`not`, parentheses; values are numbers,
 *   true/false/null, quoted strings or bare words (taken as strings).
 * Errors are WhereSyntaxError (a UsageError) pointing at the column.
 */
export function compileWhere(expression: string): RunFilter {
  const trimmed = expression.trim();
  if (trimmed.startsWith('{')) return parseJsonFilter(expression);
  if (trimmed === '')
    throw new WhereSyntaxError(expression, 0, 'the expression is empty; write a condition such as status = COMPLETED.');
  return new WhereParser(expression).parse();
}

function parseJsonFilter(expression: string): RunFilter {
  let parsed: unknown;
  try {
    parsed = JSON.parse(expression);
  } catch (error) {
    const message = errorMessage(error);
    // V8 names the position for most faults; for an unexpected token, point at its first occurrence.
    const at = /position (\d+)/.exec(message);
    const token = /Unexpected token '(.)'/.exec(message);
    const position = at
      ? Number(at[1])
      : token
        ? Math.max(0, expression.indexOf(token[1] as string, expression.indexOf('{') + 1))
        : expression.length;
    throw new WhereSyntaxError(expression, Math.min(position, expression.length), `not valid JSON (${message}).`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new WhereSyntaxError(expression, 0, 'a JSON filter must be an object such as {"status": "COMPLETED"}.');
  }
  return parsed as RunFilter;
}

class WhereParser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly expression: string) {
    this.tokens = tokenize(expression);
  }

  parse(): RunFilter {
    const filter = this.parseOr();
    const next = this.peek();
    if (next.kind !== 'end') {
      const hint =
        next.kind === 'punct' && next.text === ')'
          ? 'this ")" has no matching "(".'
          : `unexpected ${describe(next)}; join conditions with "and" / "or".`;
      this.fail(next, hint);
    }
    return filter;
  }

  private parseOr(): RunFilter {
    const parts = [this.parseAnd()];
    while (this.isKeyword(this.peek(), 'or')) {
      this.index += 1;
      parts.push(this.parseAnd());
    }
    return parts.length === 1
      ? (parts[0] as RunFilter)
      : { $or: parts.flatMap((p) => (isOnly(p, '$or') ? (p.$or as JsonValue[]) : [p])) };
  }

  private parseAnd(): RunFilter {
    const parts = [this.parseNot()];
    while (this.isKeyword(this.peek(), 'and')) {
      this.index += 1;
      parts.push(this.parseNot());
    }
    return parts.length === 1 ? (parts[0] as RunFilter) : combineAnd(parts);
  }

  private parseNot(): RunFilter {
    if (this.isKeyword(this.peek(), 'not')) {
      this.index += 1;
      return negate(this.parseNot());
    }
    return this.parsePrimary();
  }

  private parsePrimary(): RunFilter {
    const token = this.peek();
    if (token.kind === 'punct' && token.text === '(') {
      this.index += 1;
      const inner = this.parseOr();
      const close = this.peek();
      if (!(close.kind === 'punct' && close.text === ')'))
        this.fail(close, `expected ")" to close the "(" at position ${token.pos + 1}, found ${describe(close)}.`);
      this.index += 1;
      return inner;
    }
    return this.parseComparison();
  }

  private parseComparison(): RunFilter {
    const fieldToken = this.next();
    const field = this.fieldName(fieldToken);
    const token = this.next();
    if (token.kind === 'op') {
      const value = this.parseValue(field, token);
      if (Array.isArray(value) && token.text !== '=' && token.text !== '==' && token.text !== '!=') {
        this.fail(token, `"${token.text}" cannot compare with a list; use "in [..]" to match any of several values.`);
      }
      const op = MONGO_OPERATOR[token.text];
      return { [field]: op === null ? value : { [op]: value } };
    }
    if (this.isKeyword(token, 'exists')) return { [field]: { $exists: true } };
    if (this.isKeyword(token, 'in')) return { [field]: { $in: this.parseList(field, token) } };
    if (this.isKeyword(token, 'not')) {
      const after = this.next();
      if (this.isKeyword(after, 'in')) return { [field]: { $nin: this.parseList(field, after) } };
      if (this.isKeyword(after, 'exists')) return { [field]: { $exists: false } };
      this.fail(after, `expected "in [..]" or "exists" after "${fieldToken.text} not".`);
    }
    return this.fail(
      token,
      `expected an operator (= != < <= > >= in exists) after "${fieldToken.text}", found ${describe(token)}.`,
    );
  }

  private parseList(field: string, after: Token): JsonValue[] {
    const open = this.next();
    if (!(open.kind === 'punct' && open.text === '['))
      this.fail(open, `expected "[" after "${after.text}", e.g. status ${after.text} [COMPLETED, FAILED].`);
    const values: JsonValue[] = [];
    if (this.isPunct(this.peek(), ']')) {
      this.index += 1;
      return values;
    }
    for (;;) {
      values.push(this.parseValue(field, open));
      const sep = this.next();
      if (this.isPunct(sep, ']')) return values;
      if (!this.isPunct(sep, ',')) this.fail(sep, `expected "," or "]" in the list, found ${describe(sep)}.`);
    }
  }

  private parseValue(field: string, after: Token): JsonValue {
    const token = this.peek();
    if (this.isPunct(token, '[')) return this.parseList(field, after);
    this.index += 1;
    if (token.kind === 'string') return timeValue(field, token.text);
    if (token.kind === 'word' && !KEYWORDS.has(token.text.toLowerCase())) return literal(field, token.text);
    return this.fail(
      token,
      `expected a value after "${after.text}" (a number, true/false/null, a quoted string or a word), found ${describe(token)}.`,
    );
  }

  private fieldName(token: Token): string {
    if (token.kind !== 'word' && token.kind !== 'string') {
      return this.fail(token, `expected a field such as config.lr, status or result, found ${describe(token)}.`);
    }
    const name = token.text;
    if (
      token.kind === 'word' &&
      (KEYWORDS.has(name.toLowerCase()) || NUMBER.test(name) || ['true', 'false', 'null'].includes(name))
    ) {
      this.fail(token, `expected a field such as config.lr, status or result, found ${describe(token)}.`);
    }
    if (name.startsWith('$'))
      this.fail(token, 'field names cannot start with "$"; write operators with the readable syntax or pass raw JSON.');
    if (name.split('.').some((part) => part === ''))
      this.fail(token, `"${name}" is not a field path: a dot needs a name on both sides.`);
    return FIELD_ALIASES[name] ?? name;
  }

  private peek(): Token {
    return this.tokens[this.index] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index += 1;
    return token;
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.kind === 'word' && token.text.toLowerCase() === keyword;
  }

  private isPunct(token: Token, punct: string): boolean {
    return token.kind === 'punct' && token.text === punct;
  }

  private fail(token: Token, problem: string): never {
    throw new WhereSyntaxError(this.expression, token.pos, problem);
  }
}

function describe(token: Token): string {
  if (token.kind === 'end') return 'the end of the expression';
  if (token.kind === 'string') return `the string ${JSON.stringify(token.text)}`;
  return `"${token.text}"`;
}

/** A bare word as a value: number, boolean, null, or the word itself. */
function literal(field: string, text: string): JsonValue {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (NUMBER.test(text)) return Number(text);
  return timeValue(field, text);
}

/** Statuses are stored upper-case (Sacred's spelling); `status = completed` means the same run. */
const STATUSES = new Set(['QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'INTERRUPTED', 'TIMEOUT']);

function timeValue(field: string, text: string): JsonValue {
  if (field === 'status' && STATUSES.has(text.toUpperCase())) return text.toUpperCase();
  if (!TIME_FIELDS.has(field) || !ISO_DATE.test(text)) return text;
  // Sacred's times are naive UTC; read a zone-less value as UTC too.
  const iso = text.replace(' ', 'T');
  const withTime = iso.includes('T') ? iso : `${iso}T00:00:00`;
  const date = new Date(withTime.endsWith('Z') ? withTime : `${withTime}Z`);
  if (Number.isNaN(date.getTime())) return text;
  return date as unknown as JsonValue;
}

function isOnly(filter: RunFilter, key: string): boolean {
  const keys = Object.keys(filter);
  return keys.length === 1 && keys[0] === key;
}

function isOperatorObject(value: JsonValue | undefined): value is JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

/**
 * `a and b` as one readable document when the parts touch different fields
 * (`{status: 'COMPLETED', 'config.lr': {$lt: 0.01}}`), different operators
 * of one field (`{'config.lr': {$gt: 0.001, $lt: 0.1}}`) or one `$or` /
 * `$nor` beside fields (MongoDB ANDs a document's keys); otherwise `$and`.
 */
function combineAnd(parts: RunFilter[]): RunFilter {
  const flat = parts.flatMap((p) => (isOnly(p, '$and') ? (p.$and as RunFilter[]) : [p]));
  const merged: RunFilter = {};
  for (const part of flat) {
    for (const [key, value] of Object.entries(part)) {
      const existing = merged[key];
      if (existing === undefined) {
        merged[key] = value;
      } else if (
        isOperatorObject(existing) &&
        isOperatorObject(value) &&
        Object.keys(value).every((op) => !(op in existing))
      ) {
        merged[key] = { ...existing, ...value };
      } else {
        return { $and: flat };
      }
    }
  }
  return merged;
}

/** `not X`: flip `exists`, otherwise `$nor`, which MongoDB and mingo both understand at the top level. */
function negate(filter: RunFilter): RunFilter {
  const keys = Object.keys(filter);
  if (keys.length === 1) {
    const value = filter[keys[0] as string];
    if (isOperatorObject(value) && Object.keys(value).length === 1 && typeof value.$exists === 'boolean') {
      return { [keys[0] as string]: { $exists: !value.$exists } };
    }
    if (isOnly(filter, '$nor') && Array.isArray(filter.$nor) && filter.$nor.length === 1) {
      return filter.$nor[0] as RunFilter;
    }
  }
  return { $nor: [filter] };
}
