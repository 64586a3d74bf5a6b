import { ValidationError } from './errors.js';

/**
 * A JSON.stringify replacer that refuses what JSON would silently change:
 * non-finite numbers (null), Map and Set ({}), functions and symbols
 * (dropped), holes and undefined in arrays (null). An object property that
 * is undefined means absent, and is dropped as usual; a Date becomes its ISO
 * string.
 */
function strictJson(this: unknown, key: string, value: unknown): unknown {
  const at = key === '' ? 'the value' : `'${key}'`;
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`${at} is ${value}`);
      return value;
    case 'function':
    case 'symbol':
      throw new Error(`${at} is a ${typeof value}`);
    case 'undefined':
      if (Array.isArray(this)) throw new Error(`${at} of an array is undefined`);
      return value;
    case 'object':
      if (value instanceof Map || value instanceof Set) {
        throw new Error(`${at} is a ${value.constructor.name}`);
      }
      return value;
    default:
      return value;
  }
}

/**
 * Serialises job data or a handler result. Rejects what JSON cannot hold
 * faithfully: BigInt, cycles, functions and symbols at the top.
 */
export function toJson(
  field: string,
  value: unknown,
  maxBytes: number,
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new ValidationError(field, `must be JSON-safe, got a ${typeof value}`);
  }
  let text: string;
  try {
    text = JSON.stringify(value, strictJson);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ValidationError(field, `must be JSON-safe: ${why}`);
  }
  if (text.length > maxBytes / 3 && Buffer.byteLength(text) > maxBytes) {
    throw new ValidationError(
      field,
      `is ${Buffer.byteLength(text)} bytes, over the cap of ${maxBytes}`,
    );
  }
  return text;
}
