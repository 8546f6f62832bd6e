// Where a coordinator's wall time goes, phase by phase, for the throughput bench (RunCoordinator.phases()).
// A few clock reads per step or per group of writes, never per record, so production keeps it on at no cost.

export interface PhaseTotal {
  ms: number;
  count: number;
}

export type PhaseTotals = Record<string, PhaseTotal>;

export class PhaseClock {
  private readonly totals: PhaseTotals = {};

  constructor(private readonly now: () => number = Date.now) {}

  add(phase: string, ms: number): void {
    const total = (this.totals[phase] ??= { ms: 0, count: 0 });
    total.ms += ms;
    total.count += 1;
  }

  async time<T>(phase: string, work: Promise<T>): Promise<T> {
    const started = this.now();
    try {
      return await work;
    } finally {
      this.add(phase, this.now() - started);
    }
  }

  since(phase: string, started: number): void {
    this.add(phase, this.now() - started);
  }

  read(): number {
    return this.now();
  }

  snapshot(): PhaseTotals {
    return structuredClone(this.totals);
  }
}
