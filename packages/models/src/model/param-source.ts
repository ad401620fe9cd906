export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/**
 * Parameters produced on demand (initialised or read from disk when asked for), so building
 * a model holds at most one parameter in JavaScript memory at a time besides the tensors —
 * a GPT-2 small build would otherwise peak 500 MB higher.
 */
export class ParamSource {
  private readonly makers = new Map<string, { shape: number[]; make: () => Float32Array }>();

  add(name: string, shape: number[], make: () => Float32Array): void {
    this.makers.set(name, { shape, make });
  }

  has(name: string): boolean {
    return this.makers.has(name);
  }

  get(name: string): HostTensor | undefined {
    const m = this.makers.get(name);
    return m ? { shape: m.shape, data: m.make() } : undefined;
  }

  names(): string[] {
    return [...this.makers.keys()];
  }
}
