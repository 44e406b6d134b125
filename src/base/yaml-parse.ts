// YAML text to plain data: the one module of src/ that imports the YAML
// parser. Config files and kubeconfigs are read through it; the release loads
// it only while reading one and then drops it (yaml-parse-evictable.ts).
// Nothing here may keep state between calls: the release compiles a fresh copy
// for each read.
import { parseDocument } from 'yaml';

export interface YamlParseOptions {
  /**
   * yaml's long messages, with "at line L, column C" and the offending line
   * quoted, and `linePos` set. Off where that line may hold a secret.
   */
  readonly prettyErrors: boolean;
}

export type YamlParse =
  | { readonly ok: true; readonly value: unknown }
  /** The text is not YAML, or repeats a key. `offset`: where, in UTF-16 units; `line`/`col` only with prettyErrors. */
  | {
      readonly ok: false;
      readonly kind: 'syntax';
      readonly code: string;
      readonly message: string;
      readonly offset: number;
      readonly line: number | undefined;
      readonly col: number | undefined;
    }
  /** Valid YAML that does not become data: an alias with no anchor, or more aliases than MAX_ALIASES. */
  | { readonly ok: false; readonly kind: 'convert'; readonly message: string };

export interface YamlParser {
  parse(text: string, options: YamlParseOptions): YamlParse;
}

/** An alias bomb (a billion laughs) expands exponentially; no config or kubeconfig needs more. */
export const MAX_ALIASES = 100;

/** YAML 1.2; a key repeated in one mapping is an error; an empty document is null. */
export function parseYamlText(text: string, options: YamlParseOptions): YamlParse {
  const document = parseDocument(text, { prettyErrors: options.prettyErrors, uniqueKeys: true });
  const problem = document.errors[0];
  if (problem !== undefined) {
    const where = problem.linePos?.[0];
    return {
      ok: false,
      kind: 'syntax',
      code: problem.code,
      message: problem.message,
      offset: problem.pos[0],
      line: where?.line,
      col: where?.col,
    };
  }
  try {
    return { ok: true, value: document.toJS({ maxAliasCount: MAX_ALIASES }) as unknown };
  } catch (error) {
    return { ok: false, kind: 'convert', message: (error as Error).message };
  }
}

/** What the release's stand-in (yaml-parse-evictable.ts) also exports: a parser for one read. */
export function openYamlParser(): YamlParser {
  return { parse: parseYamlText };
}
