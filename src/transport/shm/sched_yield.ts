/**
 * `sched_yield()` for a rank thread: the only way JavaScript has to hand its
 * core to another runnable thread without sleeping.
 *
 * No MPI-4.1 section: progress of a shm rank when ranks outnumber cores.
 * Open MPI's ranks spin with `sched_yield()` there (`mpi_yield_when_idle`):
 * the rank a waiter needs is runnable and gets the core at once, where a
 * sleep in `Atomics.wait` costs a futex wake and a reschedule on every
 * hand-over. On 2 cores, a central-counter barrier of 4 threads that sleep
 * in `Atomics.wait` took 45-60 us; with `sched_yield()` between looks, 5-7 us
 * (8 threads: 127 and 16 us).
 *
 * Node has no `sched_yield` of its own, but its WASI implementation
 * (`node:wasi`, libuv's uvwasi) calls the system's for the WASI call
 * `sched_yield`, and the functions of `wasiImport` can be called from
 * JavaScript once the WASI instance is initialized with a module that
 * exports a memory: this module builds that minimal module. Loading
 * `node:wasi` prints an `ExperimentalWarning` (Node 20 to 24), which this
 * module keeps from the user's stderr: the program did not ask for WASI.
 *
 * `MPI4TS_YIELD=0` ({@link YIELD_ENV}) turns yielding off, as Open MPI's
 * `mpi_yield_when_idle 0` does: for a machine shared with other work, whose
 * processes would otherwise share their cores with ranks that only wait.
 *
 * Unfinished: nothing known; where `node:wasi` is missing or fails,
 * {@link schedYield} gives undefined and waits sleep as before.
 *
 * @module
 */

import { createRequire } from 'node:module';

type WasiModule = typeof import('node:wasi');

/**
 * The smallest module WASI initializes: `(module (memory (export "memory") 1)
 * (func (export "_initialize")))` in the binary format.
 */
const REACTOR = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: one type, () -> ()
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x05, 0x03, 0x01, 0x00, 0x01, // memory section: one memory of at least 1 page
  0x07, 0x18, 0x02, // export section, 24 bytes, 2 exports:
  0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, // "memory", memory 0
  0x0b, 0x5f, 0x69, 0x6e, 0x69, 0x74, 0x69, 0x61, 0x6c, 0x69, 0x7a, 0x65, 0x00, 0x00, // "_initialize", function 0
  0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code section: an empty body
]);

/** The part of the global `WebAssembly` this needs (the project's TypeScript libs declare none as a value). */
interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => object;
}

/** Loads `node:wasi` without its ExperimentalWarning (emitted once, as the module loads). */
function loadWasi(): WasiModule {
  const emitWarning = process.emitWarning;
  process.emitWarning = () => undefined;
  try {
    return createRequire(import.meta.url)('node:wasi') as WasiModule;
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** The environment variable that turns yielding off (`0`, `off`, `no`, `false`): waits then sleep at once, as before. */
export const YIELD_ENV = 'MPI4TS_YIELD';

let made = false;
let cached: (() => number) | undefined;

/**
 * The system's `sched_yield()` (it returns WASI's errno, 0), made at the
 * first call: gives up the rank's core to another runnable thread, if any.
 * Undefined where Node cannot make the call, or {@link YIELD_ENV} says not to.
 *
 * @example
 * const yieldCore = schedYield();
 * while (!ready()) yieldCore?.();
 */
export function schedYield(): (() => number) | undefined {
  if (made) return cached;
  made = true;
  if (/^(0|off|no|false)$/i.test(process.env[YIELD_ENV]?.trim() ?? '')) return undefined;
  try {
    const wasi = new (loadWasi().WASI)({ version: 'preview1' });
    const wasm = (globalThis as unknown as { readonly WebAssembly: WebAssemblyApi }).WebAssembly;
    wasi.initialize(new wasm.Instance(new wasm.Module(REACTOR), {}));
    const call = (wasi.wasiImport as Record<string, unknown>)['sched_yield'];
    // WASI's errno 0: the call reached the system.
    if (typeof call === 'function' && (call as () => number)() === 0) cached = call as () => number;
  } catch {
    // No WASI in this Node, or no such call: waits sleep as before.
  }
  return cached;
}
