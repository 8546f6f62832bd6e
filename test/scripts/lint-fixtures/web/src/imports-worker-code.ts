import { countRuns } from "../../worker/ledger/store";

export const count = countRuns;
