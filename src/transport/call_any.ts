/**
 * A call site for functions that differ from call to call, made megamorphic
 * when the module loads. No MPI-4.1 section: a property of V8's optimizing
 * compiler, shared by the shm engine (the resolve function of each wait) and
 * the collective layer (what each collective does with the blocks it read).
 *
 * A call site that has seen one function is compiled to expect it, and the
 * next function deoptimizes its caller ("wrong call target", "wrong feedback
 * cell"): a recompile of 1-3 ms on the rank's thread. Called with two other
 * functions first, the site is megamorphic before V8 first optimizes a
 * caller, whose code then calls whatever comes (13 of the 63
 * deoptimizations in the first loops of `bench/jit_report.ts` at 2 ranks on
 * Node 20 were the engine's; the collective layer's made the first Alltoall
 * after Allreduces deoptimize `exchangeNumbered` on Node 24).
 *
 * @module
 */

/**
 * `fn(arg)`, through the one megamorphic call site.
 *
 * @example
 * ```ts
 * callAny(waiter.resolve, undefined); // ends a wait, whichever Promise it is
 * ```
 */
export function callAny<A, T>(fn: (arg: A) => T, arg: A): T {
  return fn(arg);
}

// A function keeps feedback from its first call in a rank (`--no-lazy-feedback-allocation`), else from its eighth.
for (let call = 0; call < 16; call++) callAny(call % 2 === 0 ? (x: number) => x : function other(x: number): number { return x; }, call);
