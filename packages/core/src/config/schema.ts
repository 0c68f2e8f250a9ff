/**
 * `ex.schema(schema)`: the final config is checked by any Standard Schema v1
 * object (https://standardschema.dev; zod >= 3.24, valibot >= 1, arktype >= 2
 * implement it) for what a type cannot say: `lr` in (0, 1), `backend` one of
 * its choices. Standard Schema is an interface, so ritual depends on no
 * schema library: the types below are the spec's, written out flat.
 *
 * It runs once, after every update and derived config and before any
 * observer starts, so a refused config stores nothing. When the schema
 * returns a transformed value (defaults filled in, strings coerced), that
 * value is the run's config: main receives it and observers store it.
 */
import { ConfigError, UsageError } from '../errors.js';
import type { JsonObject, JsonValue } from '../run/run-record.js';
import { allPaths, cloneJson, getPath, isPlainObject } from './tree.js';
import { validateConfigValue } from './validate.js';

/** A key of an issue's path, as a plain key or wrapped in an object. */
export interface StandardSchemaV1PathSegment {
  readonly key: PropertyKey;
}

/** One problem a schema found. */
export interface StandardSchemaV1Issue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | StandardSchemaV1PathSegment> | undefined;
}

/** `{ value }` when the input passed (possibly transformed), `{ issues }` when it did not. */
export type StandardSchemaV1Result<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardSchemaV1Issue> };

/** The `~standard` property every Standard Schema v1 object carries. */
export interface StandardSchemaV1Props<Input = unknown, Output = Input> {
  readonly version: 1;
  readonly vendor: string;
  readonly validate: (
    value: unknown,
    options?: { readonly libraryOptions?: Record<string, unknown> | undefined } | undefined,
  ) => StandardSchemaV1Result<Output> | Promise<StandardSchemaV1Result<Output>>;
  /** Present (as a type only) when the library infers input and output types. */
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

/** Any Standard Schema v1 object: a zod or valibot schema, an arktype type, or one written by hand. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': StandardSchemaV1Props<Input, Output>;
}

/** The schema's output type, or `unknown` when it declares none (a hand-written schema, say). */
export type SchemaOutput<S extends StandardSchemaV1> = S['~standard'] extends { readonly types?: infer T }
  ? NonNullable<T> extends { readonly output: infer O }
    ? O
    : unknown
  : unknown;

/** Refuses (a UsageError) what is not a Standard Schema v1 object, before any run. */
export function checkIsStandardSchema(schema: unknown): asserts schema is StandardSchemaV1 {
  const props = (schema as { '~standard'?: Partial<StandardSchemaV1Props> } | null)?.['~standard'];
  if (props === undefined || props.version !== 1 || typeof props.validate !== 'function') {
    throw new UsageError(
      'ex.schema() takes a Standard Schema v1 object (zod >= 3.24, valibot >= 1, arktype >= 2, or an object with ' +
        "'~standard': { version: 1, vendor, validate }); this one has no '~standard' of version 1 with a " +
        'validate function.',
    );
  }
}

function segmentKey(segment: PropertyKey | StandardSchemaV1PathSegment): PropertyKey {
  return typeof segment === 'object' && segment !== null ? segment.key : segment;
}

/** The issue's path in the same dotted form as every other config message (`model.layers.0`). */
function dottedPath(issue: StandardSchemaV1Issue): string {
  return (issue.path ?? []).map((segment) => String(segmentKey(segment))).join('.');
}

/** One line per issue: the path, the value it refused and the schema's own message. */
function describeIssue(issue: StandardSchemaV1Issue, config: JsonObject): string {
  const path = dottedPath(issue);
  // Schema messages may span lines; the refusal is one line per problem.
  const message = String(issue.message)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/[.\s]+$/, '');
  if (path === '')
    return `The config is refused by the experiment's schema: ${message}. Change the config or the schema.`;
  const value = getPath(config, path);
  const shown = value === undefined ? 'is missing' : `= ${JSON.stringify(value)}`;
  const fix = `Give another value (with ${path}=VALUE).`;
  return `Config '${path}' ${shown}, which the experiment's schema refuses: ${message}. ${fix}`;
}

/**
 * Validates the final config; resolves to the config the run uses (the
 * schema's output). Refuses with one line per issue. A schema that drops
 * `seed` (zod's default strips unknown keys) gets it back: the seed is what
 * makes a stored config replayable.
 */
export async function applySchema(config: JsonObject, schema: StandardSchemaV1): Promise<JsonObject> {
  let result: StandardSchemaV1Result<unknown>;
  try {
    // A copy: a schema library may hand back (and later mutate) the object it was given.
    result = await schema['~standard'].validate(cloneJson(config));
  } catch (error) {
    throw new ConfigError(
      '',
      `The experiment's schema threw while validating the config: ${(error as Error)?.message ?? String(error)}. ` +
        'Fix the schema.',
      {
        cause: error,
      },
    );
  }
  if (result.issues) {
    if (result.issues.length === 0)
      throw new ConfigError('', "The experiment's schema refused the config without naming an issue. Fix the schema.");
    const lines = result.issues.map((issue) => describeIssue(issue, config));
    throw new ConfigError(dottedPath(result.issues[0]!), lines.join('\n'));
  }
  const output = result.value;
  if (!isPlainObject(output)) {
    const kind = output === null ? 'null' : Array.isArray(output) ? 'a list' : typeof output;
    throw new ConfigError(
      '',
      `The experiment's schema turned the config into ${kind}; it must give an object of config entries. ` +
        'Fix the schema.',
    );
  }
  try {
    validateConfigValue(output);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new ConfigError(
        error.path,
        `The experiment's schema output cannot be stored: ${error.message} Transform to JSON data in the schema.`,
        { cause: error },
      );
    }
    throw error;
  }
  const value = cloneJson(output as JsonObject);
  if (!Object.hasOwn(value, 'seed')) value.seed = config.seed as JsonValue;
  if (value.seed !== config.seed) {
    // The seed already drives the run's generators; a stored seed that differs would not replay it.
    throw new ConfigError(
      'seed',
      `The experiment's schema changed 'seed' from ${config.seed} to ${JSON.stringify(value.seed)}; ` +
        'it must leave the seed as it is. Set it with seed=N instead.',
    );
  }
  return value;
}

/** Dotted paths the schema's output has and the config it was given does not: keys the schema declares. */
export function schemaAddedPaths(input: JsonObject, output: JsonObject): string[] {
  return allPaths(output).filter((path) => getPath(input, path) === undefined);
}
