// RFC 7386 JSON merge patch, as MicroShift applies its config.d drop-ins.

export type JsonObject = { [key: string]: unknown };

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: JsonObject = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    // RFC 7386: null removes the key.
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

/**
 * Every key path a patch sets to a value or removes, for telling which file a
 * key came from. A mapping is merged, not replaced, so only its leaves count.
 */
export function patchedPaths(patch: unknown, prefix = ''): string[] {
  if (!isPlainObject(patch)) return [];
  const paths: string[] = [];
  for (const [key, value] of Object.entries(patch)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (isPlainObject(value)) paths.push(...patchedPaths(value, path));
    else paths.push(path);
  }
  return paths;
}
