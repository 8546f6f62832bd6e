import { checkAnswer } from "../engine/answer-check";
import { EngineError, excerpt, hintFor } from "../engine/errors";
import { answerFormat, type CompiledUpdate } from "../engine/payload";

// What a write's success answer says against it (update.answer_check), as a failed record's error and hint.

export interface AnswerRefusal {
  error: string;
  hint: string;
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
      };
    case "unreadable":
      return {
        error: `The destination answered the ${what} with HTTP ${status} but its answer could not be read for an error (${verdict.reason}), so it does not count as written`,
        hint: UNREADABLE_HINT,
      };
  }
}

/** The job's failure once `count` writes (or bulk requests) in a row were refused in their answers and none accepted. */
export function answersRefusedError(count: number, what: "writes" | "bulk requests", status: number, last: string): EngineError {
  return new EngineError({
    code: "refused_in_answer",
    http_status: status,
    phase: "update",
    message: `${count} ${what} in a row were answered with a failure and none accepted; the job stopped. Last: ${last}`,
  });
}
