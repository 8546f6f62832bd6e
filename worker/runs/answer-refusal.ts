import { checkAnswer } from "../engine/answer-check";
import { excerpt, hintFor } from "../engine/errors";
import { answerFormat, type CompiledUpdate } from "../engine/payload";

// What a write's success answer says against it (update.answer_check), as a failed record's error and hint.

export interface AnswerRefusal {
  error: string;
  hint: string;
  // The answer was read and says the write failed; false when it could not be read at all.
  refused: boolean;
}

const REFUSED_HINT = hintFor("refused_in_answer", "update");

const UNREADABLE_HINT =
  "Check the update contract's answer_check against what the destination answers; the next run looks this serial up again and writes only what is still missing";

/** Null when the answer counts the write done: no check is set, or the body says nothing against it. */
export function answerRefusal(update: CompiledUpdate, status: number, text: string, url: string, what: "write" | "bulk request"): AnswerRefusal | null {
  if (update.answerCheck === null) return null;
  const verdict = checkAnswer(update.answerCheck, answerFormat(update), text, url);
  switch (verdict.kind) {
    case "accepted":
      return null;
    case "refused":
      return {
        error: `The destination answered the ${what} with HTTP ${status} but its answer says it failed${excerpt(verdict.message)}`,
        hint: REFUSED_HINT,
        refused: true,
      };
    case "unreadable":
      return {
        error: `The destination answered the ${what} with HTTP ${status} but its answer could not be read for an error (${verdict.reason}), so it does not count as written`,
        hint: UNREADABLE_HINT,
        refused: false,
      };
  }
}
