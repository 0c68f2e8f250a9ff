import { UsageError } from '@ritual/core';

/**
 * Tokens of the `--where` syntax. Every token remembers where it starts so
 * that an error can point at the exact column of the user's expression.
 */
export type Token =
  | { kind: 'word'; text: string; pos: number }
  | { kind: 'string'; text: string; pos: number }
  | { kind: 'op'; text: ComparisonOperator; pos: number }
  | { kind: 'punct'; text: '(' | ')' | '[' | ']' | ','; pos: number }
  | { kind: 'end'; text: ''; pos: number };

export type ComparisonOperator = '=' | '==' | '!=' | '<' | '<=' | '>' | '>=';

/** Characters that end a bare word; everything else (letters, digits, `._-:/+@?*%`) belongs to it. */
const WORD_STOP = /[\s()[\],'"<>=!]/;

const OPERATORS: ComparisonOperator[] = ['==', '!=', '<=', '>=', '=', '<', '>'];

/**
 * A UsageError whose message quotes the expression and marks the column:
 *
 *   Bad --where expression at position 13: expected a value after "<".
 *     config.lr < and x
 *                 ^
 */
export class WhereSyntaxError extends UsageError {
  override readonly name: string = 'WhereSyntaxError';
  /** 0-based offset into the expression. */
  readonly position: number;
  constructor(expression: string, position: number, problem: string) {
    const caret = `${' '.repeat(position)}^`;
    super(
      `Bad --where expression at position ${position + 1}: ${problem}\n  ${expression}\n  ${caret}\n` +
        `Example: --where 'config.lr < 0.01 and status in [COMPLETED, RUNNING]' (or a MongoDB filter as JSON: '{"config.lr": {"$lt": 0.01}}').`,
      { code: 'RITUAL_BAD_WHERE' },
    );
    this.position = position;
  }
}

export function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const ch = expression[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === '[' || ch === ']' || ch === ',') {
      tokens.push({ kind: 'punct', text: ch, pos: i });
      i += 1;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const { text, end } = readQuoted(expression, i);
      tokens.push({ kind: 'string', text, pos: i });
      i = end;
      continue;
    }
    const op = OPERATORS.find((candidate) => expression.startsWith(candidate, i));
    if (op) {
      tokens.push({ kind: 'op', text: op, pos: i });
      i += op.length;
      continue;
    }
    if (ch === '!') {
      throw new WhereSyntaxError(expression, i, 'a lone "!" is not an operator; use "!=" or "not".');
    }
    let end = i;
    while (end < expression.length && !WORD_STOP.test(expression[end] as string)) end += 1;
    tokens.push({ kind: 'word', text: expression.slice(i, end), pos: i });
    i = end;
  }
  tokens.push({ kind: 'end', text: '', pos: expression.length });
  return tokens;
}

/** A string in single or double quotes; a backslash escapes the next character. */
function readQuoted(expression: string, start: number): { text: string; end: number } {
  const quote = expression[start];
  let text = '';
  let i = start + 1;
  while (i < expression.length) {
    const ch = expression[i] as string;
    if (ch === '\\' && i + 1 < expression.length) {
      text += expression[i + 1];
      i += 2;
      continue;
    }
    if (ch === quote) return { text, end: i + 1 };
    text += ch;
    i += 1;
  }
  throw new WhereSyntaxError(expression, start, `this string is never closed; add the closing ${quote}.`);
}
