import { EngineError, type RequestPhase } from "./errors";

export interface ReadBodyOptions {
  // Counted on the body as the runtime hands it out, i.e. after Content-Encoding is undone.
  maxBytes: number;
  // Keep the first maxBytes and drop the rest instead of failing (for excerpts of error bodies).
  truncate?: boolean;
  // Names the request in the error, e.g. "GET https://host/path".
  what?: string;
  phase?: RequestPhase;
  hint?: string;
}

export interface BodyText {
  text: string;
  bytes: number;
  truncated: boolean;
}

// Every response body the product reads comes through here, so an endless, dripping or decompressing
// body can never hold more than maxBytes in memory: past the limit the stream is cancelled, not drained.
export async function readBody(response: Response, options: ReadBodyOptions): Promise<BodyText> {
  const { chunks, bytes, truncated } = await readChunks(response, options);
  return { text: bytes === 0 ? "" : decode(chunks, bytes, truncated), bytes, truncated };
}

/** The body's bytes as they came, under the same limit (a gzip file, decompressed after it has all arrived). */
export async function readBodyBytes(response: Response, options: Omit<ReadBodyOptions, "truncate">): Promise<Uint8Array> {
  const { chunks, bytes } = await readChunks(response, options);
  return join(chunks, bytes);
}

async function readChunks(response: Response, options: ReadBodyOptions): Promise<{ chunks: Uint8Array[]; bytes: number; truncated: boolean }> {
  const { maxBytes } = options;
  // A body that declares its length within the limit, sent as it is (HTTP framing ends it there), is read in one
  // call: a read per chunk costs more CPU than the request itself when a run sends thousands of small ones. Checked
  // before touching response.body, which makes the runtime build a stream object.
  const headers = response.headers;
  const declared = Number(headers.get("content-length") ?? Number.NaN);
  if (declared <= maxBytes && !headers.has("content-encoding")) {
    const whole = new Uint8Array(await response.arrayBuffer());
    if (whole.byteLength <= maxBytes) return { chunks: [whole], bytes: whole.byteLength, truncated: false };
    if (!options.truncate) throw responseTooLarge(options);
    return { chunks: [whole.subarray(0, maxBytes)], bytes: maxBytes, truncated: true };
  }
  if (response.body === null) return { chunks: [], bytes: 0, truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { chunks, bytes, truncated: false };
    if (bytes + value.byteLength > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - bytes));
      // Not awaited: cancelling a teed body (Response.clone) settles only once every branch is cancelled.
      // Reading stops here either way, so a cancel that fails changes nothing.
      reader.cancel().catch(() => undefined);
      if (!options.truncate) throw responseTooLarge(options);
      return { chunks, bytes: maxBytes, truncated: true };
    }
    chunks.push(value);
    bytes += value.byteLength;
  }
}

type TooLarge = Pick<ReadBodyOptions, "maxBytes" | "what" | "phase" | "hint"> & { http_status?: number };

export function responseTooLarge(options: TooLarge): EngineError {
  return new EngineError({
    code: "response_too_large",
    message: `${options.what ?? "The response"} answered with more than ${formatBytes(options.maxBytes)}`,
    http_status: options.http_status ?? null,
    phase: options.phase,
    hint: options.hint,
  });
}

export function formatBytes(bytes: number): string {
  const MiB = 1024 * 1024;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

const UTF8 = new TextDecoder();

function join(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.byteLength === size) return chunks[0]!;
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return all;
}

function decode(chunks: Uint8Array[], size: number, cut: boolean): string {
  const all = join(chunks, size);
  // stream: true holds back a character cut in half at the limit instead of emitting U+FFFD (a decoder of its own:
  // streaming keeps state).
  return cut ? new TextDecoder().decode(all, { stream: true }) : UTF8.decode(all);
}
