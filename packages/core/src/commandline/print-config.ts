/**
 * print_config's rendering, after Sacred: the nested config, one entry per
 * line, plain values first then sub-objects (each group sorted by key), with
 * the entries the updates touched coloured: modified blue, added green,
 * typechanged red (red wins). Without colour the mark is written as a
 * trailing `# modified` comment, so piped output keeps the information.
 */
import { createRequire } from 'node:module';
import type { ConfigSummary } from '../config/index.js';
import { isPlainObject } from '../config/tree.js';
import type { JsonObject, JsonValue } from '../run/run-record.js';

type Mark = 'modified' | 'added' | 'typechanged';
type Colors = ReturnType<typeof import('picocolors').createColors>;

// Loaded when a config is first printed, not with ritual (start-up, issue 7):
// through require, as importing CommonJS from ESM lexes it first.
let picocolors: typeof import('picocolors') | undefined;
function createColors(enabled: boolean): Colors {
  picocolors ??= createRequire(import.meta.url)('picocolors') as typeof import('picocolors');
  return picocolors.createColors(enabled);
}

/** Compact JSON with a space after commas and colons: `[1, 2]`, `{"a": 1}`. */
export function formatValue(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (isPlainObject(value)) {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}: ${formatValue(item as JsonValue)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

function markOf(path: string, summary: ConfigSummary | undefined): Mark | undefined {
  if (!summary) return undefined;
  if (summary.typechanged.includes(path)) return 'typechanged';
  if (summary.modified.includes(path)) return 'modified';
  if (summary.added.includes(path)) return 'added';
  return undefined;
}

function paint(text: string, mark: Mark | undefined, colors: Colors, color: boolean): string {
  if (!mark) return text;
  if (!color) return `${text}  # ${mark}`;
  return mark === 'typechanged' ? colors.red(text) : mark === 'modified' ? colors.blue(text) : colors.green(text);
}

/** The config's lines, indented by `depth` levels of two spaces. */
export function configLines(
  config: JsonObject,
  options: { summary?: ConfigSummary; color: boolean; depth?: number; prefix?: string },
): string[] {
  const colors = createColors(options.color);
  const depth = options.depth ?? 1;
  const prefix = options.prefix ?? '';
  const indent = '  '.repeat(depth);
  const keys = Object.keys(config).sort();
  const nested = (key: string) => isPlainObject(config[key]) && Object.keys(config[key] as JsonObject).length > 0;
  const lines: string[] = [];
  for (const key of keys.filter((k) => !nested(k))) {
    const path = prefix ? `${prefix}.${key}` : key;
    lines.push(
      indent + paint(`${key} = ${formatValue(config[key]!)}`, markOf(path, options.summary), colors, options.color),
    );
  }
  for (const key of keys.filter(nested)) {
    const path = prefix ? `${prefix}.${key}` : key;
    lines.push(indent + paint(`${key}:`, markOf(path, options.summary), colors, options.color));
    lines.push(...configLines(config[key] as JsonObject, { ...options, depth: depth + 1, prefix: path }));
  }
  return lines;
}

/** print_config: a header naming the marks, then the config (no trailing newline). */
export function renderConfig(config: JsonObject, summary: ConfigSummary, options: { color: boolean }): string {
  const colors = createColors(options.color);
  const header = `Configuration (${colors.blue('modified')}, ${colors.green('added')}, ${colors.red('typechanged')}):`;
  return [header, ...configLines(config, { summary, color: options.color })].join('\n');
}
