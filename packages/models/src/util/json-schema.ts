/** A JSON Schema as plain data: model kinds, optimizers and plugins describe their options with it. */
export type JsonSchema = Record<string, unknown>;
