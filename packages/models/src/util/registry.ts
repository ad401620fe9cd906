/**
 * A name → entry map that refuses to overwrite. Silent replacement would let two plugins
 * fight over a name with the winner decided by load order, so duplicates throw instead.
 */
export class Registry<T> {
  private readonly entries = new Map<string, T>();

  constructor(readonly kind: string) {}

  register(name: string, entry: T): void {
    if (this.entries.has(name)) {
      throw new DuplicateRegistrationError(this.kind, name);
    }
    this.entries.set(name, entry);
  }

  get(name: string): T {
    const entry = this.entries.get(name);
    if (entry === undefined) {
      const known = [...this.entries.keys()].sort().join(', ') || '(none)';
      throw new Error(`unknown ${this.kind} "${name}". Registered: ${known}`);
    }
    return entry;
  }

  tryGet(name: string): T | undefined {
    return this.entries.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** A copy whose later registrations do not touch this one (one per run). */
  fork(): Registry<T> {
    const copy = new Registry<T>(this.kind);
    for (const [name, entry] of this.entries) copy.entries.set(name, entry);
    return copy;
  }
}

export class DuplicateRegistrationError extends Error {
  readonly code = 'E_DUPLICATE_REGISTRATION';
  constructor(readonly registryKind: string, readonly entryName: string) {
    super(`${registryKind} "${entryName}" is already registered; pick another name`);
  }
}
