/**
 * Bounds for text copied from manifests, registry answers and requests into events and messages.
 * An event that fails its own schema after its job exists would be reported as "no job was
 * created" (issue 11), so every event is clamped to its schema before it is validated.
 */

/** Longest manifest or registry string quoted in a reason or warning message. */
const QUOTE_LENGTH = 128;

/**
 * The first `max` UTF-16 units of `text`, without splitting a surrogate pair. A prefix, not an
 * excerpt: identifiers (correlation ids, references) stay recognisable by their start.
 *
 * @example clampText('abcdef', 4) // 'abcd'
 */
export function clampText(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = max > 0 && isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return text.slice(0, Math.max(0, end));
}

/**
 * A manifest or registry string as quoted in a message: unchanged when short, else its start, an
 * ellipsis and its length, so a message stays readable and keeps its remedy.
 *
 * @example quoteBounded('a'.repeat(200), 4) // 'aaaa… (200 characters)'
 */
export function quoteBounded(text: string, max: number = QUOTE_LENGTH): string {
  return text.length <= max ? text : `${clampText(text, max)}… (${text.length} characters)`;
}

/** The parts of a zod 4 schema definition that carry length bounds. */
interface SchemaDef {
  type: string;
  checks?: ReadonlyArray<{ _zod: { def: { check: string; maximum?: unknown } } }>;
  innerType?: BoundedSchema;
  element?: BoundedSchema;
  shape?: Record<string, BoundedSchema>;
  valueType?: BoundedSchema;
}
/** Any zod schema (read through `_zod.def`, zod's core API for tools that walk schemas). */
export interface BoundedSchema {
  _zod: { def: unknown };
}

/**
 * `value` with every string cut to its schema's `max` length and every array to its `max` count,
 * following objects, arrays, records and optional/nullable wrappers. Everything else (patterns,
 * enums, minimums, unknown keys) is left for validation to judge.
 *
 * @example clampToSchema(z.object({ m: z.string().check(z.maxLength(3)) }), { m: 'abcdef' }) // { m: 'abc' }
 */
export function clampToSchema<T>(schema: BoundedSchema, value: T): T {
  return clampValue(schema, value) as T;
}

function clampValue(schema: BoundedSchema, value: unknown): unknown {
  const def = schema._zod.def as SchemaDef;
  switch (def.type) {
    case 'string':
      return typeof value === 'string' ? clampText(value, maxLength(def)) : value;
    case 'array':
      return Array.isArray(value) && def.element
        ? value.slice(0, maxLength(def)).map((item) => clampValue(def.element as BoundedSchema, item))
        : value;
    case 'object':
      return isRecord(value) && def.shape ? clampFields(value, (key) => ownField(def.shape, key)) : value;
    case 'record':
      return isRecord(value) && def.valueType ? clampFields(value, () => def.valueType) : value;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return def.innerType && value !== undefined && value !== null
        ? clampValue(def.innerType, value)
        : value;
    default:
      return value;
  }
}

function clampFields(
  value: Record<string, unknown>,
  schemaOf: (key: string) => BoundedSchema | undefined,
): Record<string, unknown> {
  // fromEntries defines own properties, so a `__proto__` key stays data rather than a prototype.
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => {
      const schema = schemaOf(key);
      return [key, schema ? clampValue(schema, field) : field];
    }),
  );
}

/** The smallest `max` check on a string or array schema; Infinity when it has none. */
function maxLength(def: SchemaDef): number {
  let max = Number.POSITIVE_INFINITY;
  for (const check of def.checks ?? []) {
    const { check: kind, maximum } = check._zod.def;
    if (kind === 'max_length' && typeof maximum === 'number') max = Math.min(max, maximum);
  }
  return max;
}

function ownField(shape: SchemaDef['shape'], key: string): BoundedSchema | undefined {
  return shape && Object.prototype.hasOwnProperty.call(shape, key) ? shape[key] : undefined;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
