// Limits of one alarm invocation, so a run of any size stays inside Workers' subrequest and CPU limits
// on any plan: a slice stops starting new work once either is spent and the next alarm continues.
export interface SliceLimits {
  records: number;
  subrequests: number;
  wallMs: number;
}

export class SliceBudget {
  private subrequests = 0;

  constructor(
    readonly limits: SliceLimits,
    private readonly startedAt: number,
    private readonly now: () => number = Date.now,
  ) {}

  countSubrequest(): void {
    this.subrequests += 1;
  }

  get used(): number {
    return this.subrequests;
  }

  exhausted(): boolean {
    return this.subrequests >= this.limits.subrequests || this.now() - this.startedAt >= this.limits.wallMs;
  }
}
