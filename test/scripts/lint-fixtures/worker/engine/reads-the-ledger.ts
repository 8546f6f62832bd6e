import { countRuns } from "../ledger/store";

export const count = countRuns;
