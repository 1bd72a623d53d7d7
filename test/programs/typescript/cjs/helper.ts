// Required by main.ts without an extension, as CommonJS does.
export function helper(n: number): number {
  return n * 21;
}
