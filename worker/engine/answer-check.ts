import type { AnswerCheck, PayloadFormat } from "./contracts";
import { parseBody } from "./paged-reader";
import { compilePath, readPath, type CompiledPath } from "./paths";
import { scalarText } from "./templates";
import { errorMessage } from "../../shared/lang";

// A write answered with a success status whose body says it failed: GraphQL's `errors` beside a 200, Slack's
// `"ok": false`, a SOAP-style fault. Without this check such a record counts Updated though nothing was written.

export interface CompiledAnswerCheck {
  error: CompiledPath | null;
  ok: CompiledPath | null;
  message: CompiledPath | null;
}

export function compileAnswerCheck(spec: AnswerCheck): CompiledAnswerCheck {
  const optional = (path: string | undefined) => (path === undefined ? null : compilePath(path));
  return { error: optional(spec.error_path), ok: optional(spec.ok_path), message: optional(spec.message_path) };
}

export type AnswerVerdict =
  | { kind: "accepted" }
  // The body says the write failed, in the destination's words.
  | { kind: "refused"; message: string }
  // The body could not be read, so whether it says so is unknown.
  | { kind: "unreadable"; reason: string };

const FALSE_WORDS = new Set(["false", "0", "no"]);

/** What a 2xx answer's body says of the write. An empty body says nothing against it. */
export function checkAnswer(check: CompiledAnswerCheck, format: PayloadFormat, text: string, url: string): AnswerVerdict {
  if (text.trim() === "") return { kind: "accepted" };
  let body: unknown;
  try {
    body = parseBody(text, format, "update", url);
  } catch (error) {
    return { kind: "unreadable", reason: errorMessage(error) };
  }
  const error = check.error === null ? undefined : readPath(body, check.error);
  const refusedByError = holdsSomething(error);
  const refusedByOk = check.ok !== null && saysNo(readPath(body, check.ok));
  if (!refusedByError && !refusedByOk) return { kind: "accepted" };
  return { kind: "refused", message: messageOf(check, body, refusedByError ? error : undefined) };
}

// An error field counts when it holds something: not absent, null, false, "" or an empty list or object.
function holdsSomething(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

function saysNo(value: unknown): boolean {
  if (value === false) return true;
  const text = scalarText(value)?.trim().toLowerCase();
  return text !== undefined && FALSE_WORDS.has(text);
}

// The message_path's text; else the error itself: a string, or the first entry's message (GraphQL), or its JSON.
function messageOf(check: CompiledAnswerCheck, body: unknown, error: unknown): string {
  const said = check.message === null ? undefined : scalarText(readPath(body, check.message));
  if (said !== undefined && said.trim() !== "") return said;
  if (error === undefined) return `${check.ok?.source ?? "ok"} is false`;
  const first: unknown = Array.isArray(error) ? error[0] : error;
  const text = scalarText(first) ?? scalarText(readPath(first, MESSAGE));
  return text ?? JSON.stringify(error) ?? String(error);
}

const MESSAGE = compilePath("message");
