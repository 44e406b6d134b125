// A require() of Node's builtins alone, for the code that needs one: the
// modules loaded at first use (lazy-builtins.ts) and the evictable YAML
// parser's CommonJS bundle. By process.getBuiltinModule (20.16 and 22.3 on,
// the launcher's lines), not node:module's createRequire, whose ES import
// builds node:module's facade and loads its SourceMap in every process.
//
// getBuiltinModule answers undefined for a name that is no builtin; this
// throws MODULE_NOT_FOUND, as require() does, because bundled packages try an
// optional one in a try/catch and fall back only when it throws (ws's
// bufferutil). scripts/package.mjs's banner makes the same function for each
// bundle file, in one line of its own.

/** Node's builtin `id` (with or without `node:`), or MODULE_NOT_FOUND as require() throws it. */
export function builtinRequire(id: string): unknown {
  const builtin: unknown = process.getBuiltinModule(id);
  if (builtin === undefined)
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  return builtin;
}
