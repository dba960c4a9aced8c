// Validation of a request exactly as sent, without the app's type coercion, for routes where a coerced value would
// change what the request means: a user's scope of "", 0 or false would otherwise be read as null, "no limit".
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** A route's `validatorCompiler`: each part (params, body) checked against its TypeBox schema as it is. */
export function strictValidator({ schema }: { schema: unknown }) {
  const check = TypeCompiler.Compile(schema as TSchema);
  return (data: unknown) => {
    if (check.Check(data)) return { value: data };
    const error = new Error('request is invalid') as Error & { validation: { instancePath: string; message: string }[] };
    error.validation = [...check.Errors(data)].slice(0, 10).map((e) => ({ instancePath: e.path, message: e.message }));
    return { error };
  };
}
