/**
 * The words after `with`: `path=value` updates and bare words (named configs
 * or config files). Malformed updates are refused here, naming the token,
 * so the user is never left guessing which word broke the command line.
 */
import { ConfigError, CommandLineError } from '../errors.js';
import type { JsonObject, JsonValue } from '../run/run-record.js';
import { abbreviate, DEPTH_ADVICE, MAX_CONFIG_DEPTH } from '../config/depth.js';
import { mergeTrees, nestPath } from '../config/tree.js';
import { validateConfigKey, validateConfigValue } from '../config/validate.js';
import { parseUpdateValue } from './update-value.js';

export interface ParsedUpdates {
  /** Nested object of every `path=value`, later updates winning (objects merge). */
  updates: JsonObject;
  /** Bare words in order: named configs or config files. */
  requested: string[];
}

function malformed(token: string, problem: string): CommandLineError {
  return new CommandLineError(`Malformed update '${token}': ${problem} Updates look like lr=0.01 or model.hidden=256.`);
}

/**
 * Splits each token at its FIRST `=` (so `msg=a=b` sets msg to "a=b"); the
 * path and the value are trimmed, as Sacred does. An empty value (`name=`)
 * is the empty string.
 */
export function parseUpdates(tokens: readonly string[]): ParsedUpdates {
  let updates: JsonObject = {};
  const requested: string[] = [];
  for (const token of tokens) {
    const equals = token.indexOf('=');
    if (equals < 0) {
      const word = token.trim();
      if (word === '') throw malformed(token, 'it is empty.');
      requested.push(word);
      continue;
    }
    const pathText = token.slice(0, equals).trim();
    if (pathText === '') throw malformed(token, "there is no key before '='.");
    const segments = pathText.split('.');
    if (segments.length > MAX_CONFIG_DEPTH) {
      // Checked first: the per-key checks below would take time quadratic in the key's length.
      throw new CommandLineError(
        `Update '${abbreviate(token)}' has a key ${segments.length} levels deep; ${DEPTH_ADVICE}`,
      );
    }
    if (segments.some((segment) => segment.trim() === '')) {
      throw malformed(token, `the key '${pathText}' has an empty part (a leading, trailing or doubled '.').`);
    }
    const dollar = segments.find((segment) => segment.startsWith('$'));
    if (dollar !== undefined)
      throw malformed(token, `the key '${dollar}' starts with '$', which config keys may not (MongoDB reserves it).`);
    try {
      const value = parseUpdateValue(token.slice(equals + 1));
      for (const [i, segment] of segments.entries()) validateConfigKey(segment, segments.slice(0, i).join('.'));
      validateConfigValue(value, pathText);
      updates = mergeTrees(updates, nestPath(segments, value as JsonValue));
    } catch (error) {
      if (error instanceof ConfigError) throw malformed(abbreviate(token), `${error.message}`);
      throw error;
    }
  }
  return { updates, requested };
}
