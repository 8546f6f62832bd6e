import type { RunCount } from "../../worker/ledger/store";

export const zero: RunCount = 0;
