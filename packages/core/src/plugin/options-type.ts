import type { ExtendedJSONSchema, FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { ModelSpec } from '@repscope/models';

/** repscope's own schema keywords (config/schema-keywords.ts). */
type RepscopeKeywords = { repscopePath: boolean; repscopeModel: boolean };

/**
 * What a plugin options schema may say: JSON Schema (draft-07) plus repscope's keywords
 * (`repscopePath`, `repscopeModel`). Write the schema as a `const` object literal and check it
 * with `as const satisfies OptionsSchema`, so a misspelt keyword is a compile error.
 */
export type OptionsSchema = ExtendedJSONSchema<RepscopeKeywords>;

/** How the schema's type is read (json-schema-to-ts `FromSchema` options). */
type Reading = {
  // Core validates options with ajv's `useDefaults`, so a property with a `default` is always
  // there by the time the plugin sees the options: it is required in the type, even when the
  // schema does not list it in `required`. (This is FromSchema's default; it is spelt out here
  // because the plugins rely on it.)
  keepDefaultedPropertiesOptional: false;
  deserialize: [
    // A nested model block (`repscopeModel: true`) is validated against its model kind's schema.
    { pattern: { repscopeModel: true }; output: ModelSpec },
    // A pair of numbers (`minItems: 2, maxItems: 2`) is a tuple, not number[].
    { pattern: { type: 'array'; items: { type: 'number' }; minItems: 2; maxItems: 2 }; output: [number, number] },
  ];
};

/** T with F's keys typed by F (one flat object type, so editors show it whole). */
type Override<T, F> = ({ [K in keyof T as K extends keyof F ? never : K]: T[K] } & F) extends infer O ? { [K in keyof O]: O[K] } : never;

/**
 * The options type a plugin's schema describes — derived from the schema, so the two cannot
 * drift. Declare the schema as a `const` literal (`as const satisfies OptionsSchema`) and write
 * `export type MyOptions = OptionsFromSchema<typeof mySchema>` (for a schema built from the
 * registries: `OptionsFromSchema<ReturnType<typeof mySchema>>`).
 *
 * It is the type of the options after validation: properties with a `default` are required,
 * others are required only when listed in `required`; `integer` is number; `enum` is the union
 * of its values (a list computed at run time, e.g. registry names, is string); closed objects
 * (`additionalProperties: false`) have no index signature; `repscopeModel: true` is ModelSpec;
 * number pairs are `[number, number]`. Other custom keywords do not change the type.
 *
 * `Fragments` types the keys whose sub-schema comes from one of core's schema functions
 * (`optimizerSchema`, `decodeSchema`: plain `JsonSchema`, so nothing can be read from them) by
 * that fragment's own interface, e.g. `{ optimizer: OptimizerSpec; decode: DecodeOptions }`.
 */
export type OptionsFromSchema<S extends OptionsSchema, Fragments extends object = object> = S extends JSONSchema
  ? Override<FromSchema<S, Reading>, Fragments>
  : never;
