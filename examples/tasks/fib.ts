// Task functions of the README's futures example (examples/readme/futures.ts).
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export function square(x: number): number {
  return x * x;
}
