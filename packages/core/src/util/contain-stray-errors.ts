/**
 * Run `work` so that an exception thrown, or a promise rejected, outside its own await chain
 * while it runs fails `work` instead of killing the process. Rendering needs this: vega's SVG
 * renderer runs callbacks of its own, and one that throws there (a plot from a plugin) would
 * otherwise end the process with a stack trace and leave the run "running" with its lock held.
 * Only for short, self-contained work: while it runs, every stray error in the process is its.
 */
export async function containStrayErrors<T>(work: () => Promise<T>): Promise<T> {
  let fail: (err: unknown) => void = () => {};
  const stray = new Promise<never>((_, reject) => (fail = reject));
  const onStray = (err: unknown) => fail(err);
  process.on('uncaughtException', onStray);
  process.on('unhandledRejection', onStray);
  try {
    return await Promise.race([work(), stray]);
  } finally {
    process.off('uncaughtException', onStray);
    process.off('unhandledRejection', onStray);
  }
}
