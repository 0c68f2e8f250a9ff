/**
 * The value half of `with key=value`. Sacred reads it as a Python literal;
 * we read it with the `yaml` package (a superset of JSON) and keep the raw
 * text whenever the literal reading would be surprising or lossy.
 */
import { DEPTH_ADVICE, flowNestingDepth, MAX_CONFIG_DEPTH } from '../config/depth.js';
import { isPlainObject } from '../config/tree.js';
import { ConfigError } from '../errors.js';
import { yaml } from '../config/yaml-module.js';

/** Only data JSON can store; anything else makes the text stay a string. */
function isJsonData(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonData);
  if (isPlainObject(value)) return Object.values(value).every(isJsonData);
  return false;
}

/** Parses one YAML document; undefined when it has errors or warnings. */
function parseYaml(text: string): { value: unknown } | undefined {
  const document = yaml().parseDocument(text, { schema: 'core', uniqueKeys: true, prettyErrors: false });
  if (document.errors.length > 0 || document.warnings.length > 0) return undefined;
  try {
    // Aliases (`*a`) are not literals a user means to type; refuse to expand them.
    return { value: document.toJS({ maxAliasCount: 0 }) };
  } catch {
    return undefined;
  }
}

const NULL_WORDS = /^(?:null|Null|NULL|~)$/;
const BOOLEAN_WORDS = /^(?:true|True|TRUE|false|False|FALSE)$/;

/**
 * Reads an update's value as a literal:
 * - numbers (`3`, `-1.5`, `1e-3`, `0x1F`), `true`/`false`, `null`/`~`;
 * - quoted strings (`"a b"`, `'it''s'`), without their quotes;
 * - JSON or YAML flow arrays and objects (`[1, 2]`, `{a: 1, b: [x, y]}`);
 * - everything else is the text itself, trimmed: plain words, text with a
 *   YAML comment marker (`#1`), numbers with leading zeros (`007`, an id, not
 *   7), integers beyond 2^53 (kept exact as a string), `.inf`/`.nan`, and
 *   anything that does not parse. The empty text is the empty string.
 * A flow nested deeper than MAX_CONFIG_DEPTH is refused with a ConfigError.
 */
export function parseUpdateValue(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  const first = trimmed[0]!;
  if (first === '[' || first === '{') {
    // Measured before parsing: the parser recurses per level and, past ~1,000, would overflow and leave a string.
    const depth = flowNestingDepth(trimmed);
    if (depth > MAX_CONFIG_DEPTH) {
      throw new ConfigError('', `its brackets nest more than ${MAX_CONFIG_DEPTH} deep; ${DEPTH_ADVICE}`);
    }
    const parsed = parseYaml(trimmed);
    return parsed && isJsonData(parsed.value) && typeof parsed.value === 'object' ? parsed.value : trimmed;
  }
  if (first === '"' || first === "'") {
    if (trimmed.length < 2 || trimmed.at(-1) !== first) return trimmed;
    const parsed = parseYaml(trimmed);
    return parsed && typeof parsed.value === 'string' ? parsed.value : trimmed;
  }
  if (NULL_WORDS.test(trimmed)) return null;
  if (BOOLEAN_WORDS.test(trimmed)) return trimmed.toLowerCase() === 'true';
  // YAML would treat ` #...` as a comment and drop it; `007` as 7.
  if (/(?:^|\s)#/.test(trimmed) || /^[-+]?0\d/.test(trimmed)) return trimmed;
  const parsed = parseYaml(trimmed);
  if (parsed && typeof parsed.value === 'number' && Number.isFinite(parsed.value)) {
    const integerText = /^[-+]?\d+$/.test(trimmed);
    return integerText && !Number.isSafeInteger(parsed.value) ? trimmed : parsed.value;
  }
  return trimmed;
}
