import { asApiError, type ApiError } from "../lib/api";
import { placeIssues, validationIssues, type PlacedIssues } from "../lib/field-issues";
import type { ValidationDetail } from "../../../worker/schemas/types";

// A form section's save: busy while sending, then either a confirmation or the API's field errors.
export class SaveState {
  saving = $state(false);
  saved: string | null = $state(null);
  error: ApiError | null = $state(null);
  issues: ValidationDetail[] = $state([]);

  placed(fields: readonly string[]): PlacedIssues {
    return placeIssues(this.issues, fields);
  }

  async run(work: () => Promise<string>): Promise<boolean> {
    if (this.saving) return false;
    this.saving = true;
    this.saved = null;
    this.error = null;
    this.issues = [];
    try {
      this.saved = await work();
      return true;
    } catch (error) {
      this.error = asApiError(error);
      this.issues = validationIssues(this.error);
      return false;
    } finally {
      this.saving = false;
    }
  }
}
