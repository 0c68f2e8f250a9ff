/**
 * Config files: `.addConfigFile(path)`, `with conf/big.yaml` and
 * `save_config`. JSON and YAML only, chosen by extension, so a file always
 * reads back as exactly the tree it was saved from.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { ConfigError, UsageError } from '../errors.js';
import type { JsonObject } from '../run/run-record.js';
import { DEPTH_ADVICE, flowNestingDepth, MAX_CONFIG_DEPTH } from './depth.js';
import { isPlainObject } from './tree.js';
import { validateConfigValue } from './validate.js';
import { yaml } from './yaml-module.js';
import { compareSacredKeys, formatSacredJson } from '../sacred/sacred-json.js';
import { errorMessage } from '../error-message.js';

export const CONFIG_FILE_EXTENSIONS = ['.json', '.yaml', '.yml'] as const;

type Format = 'json' | 'yaml';

function formatOf(file: string, verb: string): Format {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  throw new UsageError(
    `Cannot ${verb} config file '${file}': the extension must be .json, .yaml or .yml (got '${ext || 'none'}').`,
  );
}

/** True when the path has an extension ritual reads as a config file. */
export function isConfigFileName(file: string): boolean {
  return (CONFIG_FILE_EXTENSIONS as readonly string[]).includes(extname(file).toLowerCase());
}

function unreadable(file: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a directory' : errorMessage(error);
  return new UsageError(`Cannot read config file '${file}' (resolved to ${resolve(file)}): ${reason}.`, {
    cause: error,
  });
}

function parseConfigText(text: string, file: string, format: Format): JsonObject {
  let data: unknown;
  // A byte-order mark (some Windows editors write one) is not content.
  const content = text.replace(/^\uFEFF/, '');
  try {
    // YAML's core schema (1.2) keeps `yes`/`no` and timestamps as strings, so
    // a YAML file yields the same kinds of values as a JSON one.
    data = format === 'json' ? JSON.parse(content) : yaml().parse(content, { schema: 'core', uniqueKeys: true });
  } catch (error) {
    // The YAML parser recurses per bracket and overflows ~1,000 deep: say why, not "Maximum call stack size exceeded".
    if (flowNestingDepth(content) > MAX_CONFIG_DEPTH) {
      const message = `Config file '${file}' nests brackets more than ${MAX_CONFIG_DEPTH} deep; ${DEPTH_ADVICE}`;
      throw new ConfigError('', message, { cause: error });
    }
    const where =
      format === 'yaml' && error instanceof yaml().YAMLParseError && error.linePos
        ? ` at line ${error.linePos[0].line}`
        : '';
    throw new ConfigError(
      '',
      `Config file '${file}' is not valid ${format.toUpperCase()}${where}: ${errorMessage(error).split('\n')[0]}. Fix the file.`,
      { cause: error },
    );
  }
  if (!isPlainObject(data)) {
    const kind = data === null || data === undefined ? 'empty' : Array.isArray(data) ? 'a list' : `a ${typeof data}`;
    throw new ConfigError(
      '',
      `Config file '${file}' must hold an object of config entries at its top level, but it is ${kind}.`,
    );
  }
  try {
    validateConfigValue(data);
  } catch (error) {
    if (error instanceof ConfigError)
      throw new ConfigError(error.path, `In config file '${file}': ${error.message}`, { cause: error });
    throw error;
  }
  return data as JsonObject;
}

/** Reads a .json/.yaml/.yml file whose top level is an object; keys and values are validated. */
export async function loadConfigFile(file: string): Promise<JsonObject> {
  const format = formatOf(file, 'load');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw unreadable(file, error);
  }
  return parseConfigText(text, file, format);
}

/** Synchronous twin of loadConfigFile, for resolving the config (a small file, read once per run). */
export function loadConfigFileSync(file: string): JsonObject {
  const format = formatOf(file, 'load');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw unreadable(file, error);
  }
  return parseConfigText(text, file, format);
}

/**
 * Writes the config as JSON or YAML, by extension; never leaves a half-written
 * file. The JSON is Sacred's save_config (and a run's config.json) byte for
 * byte; YAML lists keys in the same order (by code point, as Python sorts).
 */
export async function saveConfigFile(config: JsonObject, file: string): Promise<void> {
  const format = formatOf(file, 'save');
  validateConfigValue(config);
  const text =
    format === 'json'
      ? formatSacredJson(config)
      : yaml().stringify(config, {
          schema: 'core',
          sortMapEntries: (a, b) => compareSacredKeys(String(a.key), String(b.key)),
        });
  try {
    // Written once, by hand: worth a flush to disk.
    await writeFileAtomic(file, text, { durable: true });
  } catch (error) {
    throw new UsageError(
      `Cannot write config file '${file}': ${errorMessage(error)}. Check that the folder exists and is writable.`,
      { cause: error },
    );
  }
}
