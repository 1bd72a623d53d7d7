// Task functions for the futures tests: plain, async, failing, and one that kills its worker.
export function square(x: number): number {
  return x * x;
}

export function add(a: number, b: number): number {
  return a + b;
}

export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export async function later(x: string, ms: number): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return x.toUpperCase();
}

/** Busy for `ms` milliseconds, then `x`: a task that takes a while. */
export function slow(x: number, ms: number): number {
  const until = Date.now() + ms;
  while (Date.now() < until) { /* busy */ }
  return x;
}

/** Busy for `ms` milliseconds, then `x`: `slow` under another name, whose time the pool has not measured yet. */
export function spin(x: number, ms: number): number {
  return slow(x, ms);
}

export class ParityError extends Error {}

export function failOdd(x: number): number {
  if (x % 2 === 1) throw new ParityError(`odd input ${x}`);
  return x;
}

export function failType(): never {
  throw new TypeError('wrong type here');
}

/** Throws as a failed system call does: an Error with `code`, `errno`, `path` and a primitive `cause`. */
export function failCode(): never {
  throw Object.assign(new Error('no such file', { cause: 'gone' }), { code: 'ENOENT', errno: -2, path: '/nowhere' });
}

/** Throws a value that is not an Error. */
export function failString(): never {
  throw 'not an Error';
}

let prefix = '';

export function init(p: string): void {
  prefix = p;
}

export function greet(name: string): string {
  return `${prefix}${name}`;
}

export function unsendable(): () => void {
  return () => undefined;
}

/** Ends the worker's thread or process at once, as a crash would. */
export function die(code: number): never {
  process.exit(code);
}

/** Throws outside the task's own call, as a stray callback would: an uncaught error of the worker. */
export function throwLater(message: string): Promise<never> {
  setTimeout(() => { throw new Error(message); }, 0);
  return new Promise<never>(() => undefined);
}

/** Kills the worker's process with SIGKILL (on the mpi transport, where each worker is a process). */
export function killSelf(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('still alive after SIGKILL');
}

/** An initializer that ends the worker's process while the pool starts. */
export function exitAtBoot(code: number): void {
  process.exit(code);
}
