/**
 * The training step a checkpoint reference names: `hf:EleutherAI/pythia-160m@step1000` → 1000
 * (Pythia's revisions, and any `…@stepN`), a local folder `…/step-000050` → 50 (plugin-train's
 * checkpoints). A sweep over such values is a sweep over training, charted against the step.
 */
export function trainingStepOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /@step(\d+)$/.exec(value) ?? /(?:^|[\\/])step-?(\d+)[\\/]?$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

/** Whether every value an axis takes names a training step (so it is charted and tabulated as one). */
export function isTrainingStepAxis(values: unknown[]): boolean {
  return values.length > 0 && values.every((v) => trainingStepOf(v) !== undefined);
}
