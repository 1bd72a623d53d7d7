// The helper of test/programs/failure/main.ts: a second module of the user's on the failing stack.
export async function withRetries(step: () => Promise<void>): Promise<void> {
  await step();
}
