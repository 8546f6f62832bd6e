/** Newline-delimited JSON, one value a line, gzip-compressed with the runtime's CompressionStream. */
export async function gzipNdjson(values: readonly unknown[]): Promise<Uint8Array> {
  const text = values.length === 0 ? "" : values.map((v) => JSON.stringify(v)).join("\n") + "\n";
  const compressed = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(compressed).arrayBuffer());
}

export async function gunzipText(bytes: Uint8Array): Promise<string> {
  const plain = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(plain).text();
}
