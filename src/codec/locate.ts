/**
 * Where a value that the encoder refused sits, for the error message: the
 * path from the sent value to the culprit (`value.tasks[3].fn`) and why it
 * cannot be sent. The encoder carries no path on its hot path; once it has
 * thrown {@link Unserializable}, {@link encodingError} walks the value again,
 * as the encoder does, to find it.
 *
 * @module
 */

import { errors } from '../errors.js';
import {
  K_ARRAY, K_ERROR, K_MAP, K_NULL, K_PLAIN, K_REJECT, K_SET, WHY_FUNCTION, WHY_SYMBOL, classify, errorEntries, isIndex,
} from './classify.js';
import { classByProto } from './registry.js';

/** Thrown inside the encoder when a value cannot be sent; turned into an MPIError with a path by {@link encodingError}. */
export class Unserializable {
  constructor(readonly why: string) {}
}

const objectKeys = Object.keys;
const getPrototypeOf = Object.getPrototypeOf;

interface Fault {
  readonly path: string;
  readonly why: string;
}

/** `.name` for identifiers, `[3]` for indices, `["a b"]` otherwise. */
function member(key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return `.${key}`;
  if (/^(?:0|[1-9]\d*)$/.test(key)) return `[${key}]`;
  return `[${JSON.stringify(key)}]`;
}

/** Walks `v` as the encoder does and returns the first value it refuses, with its path. */
function locate(v: unknown, path: string, seen: Set<object>): Fault | null {
  if (typeof v === 'function') return { path, why: WHY_FUNCTION };
  if (typeof v === 'symbol') return { path, why: WHY_SYMBOL };
  if (typeof v !== 'object' || v === null || seen.has(v)) return null;
  seen.add(v);
  const proto = getPrototypeOf(v) as object | null;
  const k = classify(v, proto);
  const registered = proto !== null && classByProto(proto) !== undefined;
  if (!registered && k.unregistered !== '') return { path, why: k.unregistered };
  if (k.kind !== K_REJECT && k.kind !== K_PLAIN && k.kind !== K_NULL && k.kind !== K_ERROR && registered) {
    // A registered subclass of a built-in also sends its own non-index properties.
    for (const key of objectKeys(v)) {
      if (isIndex(key)) continue;
      const f = locate((v as Record<string, unknown>)[key], path + member(key), seen);
      if (f !== null) return f;
    }
  }
  switch (k.kind) {
    case K_REJECT: return { path, why: k.why };
    case K_PLAIN:
    case K_NULL:
      for (const key of objectKeys(v)) {
        const f = locate((v as Record<string, unknown>)[key], path + member(key), seen);
        if (f !== null) return f;
      }
      return null;
    case K_ARRAY:
      // By its own keys, so that a huge sparse array is walked by its elements, not its length.
      for (const key of objectKeys(v)) {
        const f = locate((v as Record<string, unknown>)[key], path + member(key), seen);
        if (f !== null) return f;
      }
      return null;
    case K_MAP: {
      let i = 0;
      for (const [key, value] of v as Map<unknown, unknown>) {
        const f = locate(key, `${path} (Map entry ${i} key)`, seen) ?? locate(value, `${path} (Map entry ${i} value)`, seen);
        if (f !== null) return f;
        i++;
      }
      return null;
    }
    case K_SET: {
      let i = 0;
      for (const value of v as Set<unknown>) {
        const f = locate(value, `${path} (Set element ${i})`, seen);
        if (f !== null) return f;
        i++;
      }
      return null;
    }
    case K_ERROR:
      for (const [key, value] of errorEntries(v, k.sub)) {
        const f = locate(value, path + member(key), seen);
        if (f !== null) return f;
      }
      return null;
    default: return null;
  }
}

/**
 * The error to throw for `e`, thrown while encoding `value` for `call`: a
 * refused value becomes `MPI.ERR_ARG` naming its path, a value too deep or
 * too large `ERR_ARG` / `ERR_NO_MEM`; anything else (a getter's own error)
 * is returned as it is.
 */
export function encodingError(e: unknown, value: unknown, call: string): unknown {
  if (e instanceof Unserializable) {
    let fault: Fault | null = null;
    try {
      fault = locate(value, 'value', new Set());
    } catch { /* a getter that throws the second time: fall back to no path */ }
    return errors.unserializable(call, fault?.path ?? 'value', fault?.why ?? e.why);
  }
  if (e instanceof RangeError) {
    if (/call stack/i.test(e.message)) {
      return errors.unserializable(call, 'value', 'it is nested too deeply to serialize');
    }
    if (/allocation failed|invalid (typed )?array (buffer )?length/i.test(e.message)) {
      return errors.noMem(call, 'the serialized value does not fit in memory');
    }
  }
  return e; // thrown by a getter of the value: the user's own error
}
