import type { FieldError } from './errors.js';
import { jsonPointer } from './errors.js';

/**
 * Keys that are never accepted in a body. `__proto__` can rewire an object's prototype when a
 * parsed body is merged or spread; `constructor` and `prototype` reach the same places through
 * `obj.constructor.prototype`. No Takt field has these names, so rejecting them costs nothing.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

interface Frame {
  /** null for an array. */
  keys: Set<string> | null;
  /** The current key of an object, the current index of an array. */
  at: string | number;
}

const QUOTE = 34;
const BACKSLASH = 92;

/** Index of the quote that closes the string opened at `open`. */
function stringEnd(text: string, open: number): number {
  let end = text.indexOf('"', open + 1);
  while (end !== -1) {
    let slashes = 0;
    while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
  return text.length;
}

const pointerOf = (stack: readonly Frame[]): string => jsonPointer(stack.map((f) => f.at));

const keyOf = (raw: string): string => {
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw; // not valid JSON anyway: JSON.parse of the whole body reports it
  }
};

/**
 * Structural problems of a JSON text, found in one linear pass without recursion, so any
 * depth is safe and the text need not be valid JSON yet. `depth` is nesting deeper than
 * `maxDepth`: it is checked before `JSON.parse`, whose time grows with depth. `key` is the
 * first duplicate key (JSON.parse silently keeps the last one, other parsers the first) or
 * forbidden key. See docs/http.md, "Bodies".
 */
export function jsonStructureProblems(
  text: string,
  maxDepth: number,
): { depth?: FieldError; key?: FieldError } {
  const stack: Frame[] = [];
  let key: FieldError | undefined;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const top = stack.at(-1);
      if (expectKey && top?.keys) {
        const name = keyOf(text.slice(i + 1, end));
        top.at = name;
        if (!key && FORBIDDEN_KEYS.has(name))
          key = { pointer: pointerOf(stack), detail: `key "${name}" is not allowed` };
        if (!key && top.keys.has(name))
          key = { pointer: pointerOf(stack), detail: `duplicate key "${name}"` };
        top.keys.add(name);
        expectKey = false;
      }
      i = end;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (stack.length >= maxDepth) {
        return { depth: { pointer: pointerOf(stack), detail: `nested deeper than ${maxDepth} levels` } };
      }
      stack.push(c === 123 ? { keys: new Set(), at: '' } : { keys: null, at: 0 });
      expectKey = c === 123;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
    } else if (c === 44 /* , */) {
      const top = stack.at(-1);
      if (top?.keys) expectKey = true;
      else if (top) top.at = (top.at as number) + 1;
    }
  }
  return key ? { key } : {};
}
