// The API reference as one self-contained HTML page, rendered from the OpenAPI document: no scripts,
// no fonts, nothing fetched from elsewhere, so it works where only this worker is reachable.

type Json = Record<string, unknown>;

interface Operation {
  method: string;
  path: string;
  op: Json;
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;
const MAX_DEPTH = 4;

export function renderDocsPage(document: object, specPath: string): string {
  const doc = document as Json;
  const info = asObject(doc.info);
  const operations = collectOperations(asObject(doc.paths));
  const tags = groupByTag(
    operations,
    asArray(doc.tags).map((t) => asObject(t)),
  );
  const schemas = asObject(asObject(doc.components).schemas);

  const nav = tags
    .map(
      ([tag, ops]) =>
        `<li><a href="#tag-${slug(tag)}">${esc(tag)}</a><ul>${ops.map((o) => `<li><a href="#${opId(o)}"><code class="m-${o.method}">${o.method.toUpperCase()}</code> ${esc(o.path)}</a></li>`).join("")}</ul></li>`,
    )
    .join("");
  const sections = tags
    .map(([tag, ops]) => `<section id="tag-${slug(tag)}"><h2>${esc(tag)}</h2>${tagDescription(doc, tag)}${ops.map(renderOperation).join("")}</section>`)
    .join("");
  const schemaSections = Object.entries(schemas)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, schema]) => `<section class="schema" id="schema-${slug(name)}"><h3>${esc(name)}</h3>${renderSchema(asObject(schema), 0)}</section>`)
    .join("");

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(String(info.title ?? "API"))} reference</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${esc(String(info.title ?? "API"))} <small>v${esc(String(info.version ?? ""))}</small></h1>
<p>Machine-readable: <a href="${esc(specPath)}">${esc(specPath)}</a> (OpenAPI ${esc(String(doc.openapi ?? ""))}).</p></header>
<div class="layout">
<nav aria-label="Operations"><ul>${nav}<li><a href="#schemas">Schemas</a></li></ul></nav>
<main>
<section class="intro">${paragraphs(String(info.description ?? ""))}</section>
${sections}
<section id="schemas"><h2>Schemas</h2>${schemaSections}</section>
</main>
</div>
</body>
</html>`;
}

function collectOperations(paths: Json): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = asObject(asObject(item)[method]);
      if (Object.keys(op).length > 0) out.push({ method, path, op });
    }
  }
  return out;
}

function groupByTag(operations: Operation[], declared: Json[]): Array<[string, Operation[]]> {
  const order = declared.map((t) => String(t.name));
  const groups = new Map<string, Operation[]>(order.map((name) => [name, []]));
  for (const operation of operations) {
    const tag = String(asArray(operation.op.tags)[0] ?? "Other");
    if (!groups.has(tag)) groups.set(tag, []);
    groups.get(tag)!.push(operation);
  }
  return [...groups].filter(([, ops]) => ops.length > 0);
}

function tagDescription(doc: Json, tag: string): string {
  const found = asArray(doc.tags)
    .map((t) => asObject(t))
    .find((t) => t.name === tag);
  return found?.description ? `<p>${inline(String(found.description))}</p>` : "";
}

function renderOperation(operation: Operation): string {
  const { op, method, path } = operation;
  const role = op["x-min-role"];
  const access =
    typeof role === "string" ? `<span class="role role-${esc(role)}" title="Minimum role">${esc(role)}</span>` : `<span class="role role-public">public</span>`;
  const params = asArray(op.parameters).map((p) => asObject(p));
  const body = asObject(op.requestBody);
  const responses = Object.entries(asObject(op.responses));
  return `<article class="op" id="${opId(operation)}">
<h3><code class="m-${method}">${method.toUpperCase()}</code> <code>${esc(path)}</code> ${access}</h3>
${op.summary ? `<p class="summary">${esc(String(op.summary))}</p>` : ""}
${op.description ? paragraphs(String(op.description)) : ""}
${params.length > 0 ? `<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr></thead><tbody>${params.map(renderParameter).join("")}</tbody></table>` : ""}
${Object.keys(body).length > 0 ? `<h4>Request body${body.required ? "" : " (optional)"}</h4>${body.description ? `<p>${inline(String(body.description))}</p>` : ""}${renderContent(asObject(body.content))}` : ""}
<h4>Responses</h4><dl class="responses">${responses.map(([status, response]) => renderResponse(status, asObject(response))).join("")}</dl>
</article>`;
}

function renderParameter(param: Json): string {
  const schema = asObject(param.schema);
  return `<tr><td><code>${esc(String(param.name))}</code>${param.required ? ' <span class="req">required</span>' : ""}</td><td>${esc(String(param.in))}</td><td>${typeLabel(schema)}</td><td>${inline(String(param.description ?? schema.description ?? ""))}</td></tr>`;
}

function renderResponse(status: string, response: Json): string {
  const content = asObject(response.content);
  const detail = Object.keys(content).length > 0 ? `<details><summary>Body</summary>${renderContent(content)}</details>` : "";
  return `<dt class="s${esc(status[0] ?? "")}">${esc(status)}</dt><dd>${inline(String(response.description ?? ""))}${detail}</dd>`;
}

function renderContent(content: Json): string {
  return Object.entries(content)
    .map(([media, value]) => `<div class="media"><span class="media-type">${esc(media)}</span>${renderSchema(asObject(asObject(value).schema), 0)}</div>`)
    .join("");
}

function renderSchema(schema: Json, depth: number): string {
  const description = schema.description && depth === 0 ? `<p>${inline(String(schema.description))}</p>` : "";
  const properties = asObject(schema.properties);
  const variants = asArray(schema.oneOf ?? schema.anyOf).map((v) => asObject(v));
  if (typeof schema.$ref === "string") return `<p>${typeLabel(schema)}</p>`;
  if (variants.length > 0 && depth < MAX_DEPTH) {
    return `${description}<p>One of:</p><ol class="variants">${variants.map((v) => `<li>${renderSchema(v, depth + 1)}</li>`).join("")}</ol>`;
  }
  if (Object.keys(properties).length > 0 && depth < MAX_DEPTH) {
    const required = new Set(asArray(schema.required).map(String));
    const rows = Object.entries(properties)
      .map(([name, raw]) => {
        const prop = asObject(raw);
        const nested = isExpandable(prop) && depth + 1 < MAX_DEPTH ? renderSchema(expandable(prop), depth + 1) : "";
        return `<li><code>${esc(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ""} ${typeLabel(prop)}${prop.writeOnly ? ' <span class="wo">write-only</span>' : ""}${prop.description ? ` — ${inline(String(prop.description))}` : ""}${nested}</li>`;
      })
      .join("");
    return `${description}<ul class="props">${rows}</ul>`;
  }
  return `${description}<p>${typeLabel(schema)}</p>`;
}

function isExpandable(schema: Json): boolean {
  const target = expandable(schema);
  return typeof target.$ref !== "string" && (Object.keys(asObject(target.properties)).length > 0 || asArray(target.oneOf ?? target.anyOf).length > 0);
}

// Arrays of inline objects expand to their items.
function expandable(schema: Json): Json {
  return schema.type === "array" ? asObject(schema.items) : schema;
}

function typeLabel(schema: Json): string {
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.split("/").at(-1) ?? schema.$ref;
    return `<a class="type" href="#schema-${slug(name)}">${esc(name)}</a>`;
  }
  if ("const" in schema) return `<code>${esc(JSON.stringify(schema.const))}</code>`;
  if (Array.isArray(schema.enum)) return `<span class="type">${schema.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(" | ")}</span>`;
  const variants = asArray(schema.oneOf ?? schema.anyOf).map((v) => asObject(v));
  if (variants.length > 0) return variants.map(typeLabel).join(" | ");
  const types = asArray(schema.type).length > 0 ? asArray(schema.type).map(String) : schema.type ? [String(schema.type)] : [];
  let label = types.length > 0 ? types.join(" | ") : "any";
  if (types.includes("array")) label = label.replace("array", `array of ${typeLabel(asObject(schema.items)).replace(/<[^>]+>/g, "")}`);
  if (types.includes("object") && schema.additionalProperties && typeof schema.additionalProperties === "object") {
    label = label.replace("object", `map of ${typeLabel(asObject(schema.additionalProperties)).replace(/<[^>]+>/g, "")}`);
  }
  const facts: string[] = [];
  if (schema.format) facts.push(String(schema.format));
  if (schema.minimum !== undefined || schema.maximum !== undefined) facts.push(`${schema.minimum ?? "…"}–${schema.maximum ?? "…"}`);
  if (schema.maxLength !== undefined) facts.push(`≤ ${schema.maxLength} chars`);
  if (schema.default !== undefined) facts.push(`default ${JSON.stringify(schema.default)}`);
  return `<span class="type">${esc(label)}${facts.length > 0 ? ` <small>(${esc(facts.join(", "))})</small>` : ""}</span>`;
}

function paragraphs(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p) => `<p>${inline(p)}</p>`)
    .join("");
}

// Just enough Markdown for the descriptions we write: `code` and **bold**.
function inline(text: string): string {
  return esc(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
}

function opId(operation: Operation): string {
  return `op-${operation.method}-${slug(operation.path)}`;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function asObject(value: unknown): Json {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--code:#f3f4f6;--accent:#0b5cad}
@media (prefers-color-scheme:dark){:root{--bg:#0f1419;--fg:#e6edf3;--muted:#9aa4af;--line:#30363d;--code:#1c2128;--accent:#6cb6ff}}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
header{padding:1rem 1.5rem;border-bottom:1px solid var(--line)}h1{margin:0;font-size:1.4rem}h1 small{color:var(--muted);font-weight:normal}
a{color:var(--accent)}code{font:13px/1.4 ui-monospace,monospace;background:var(--code);padding:0 .25em;border-radius:3px}
.layout{display:flex;gap:1.5rem}nav{flex:0 0 18rem;padding:1rem;border-right:1px solid var(--line);position:sticky;top:0;max-height:100vh;overflow:auto;font-size:13px}
nav ul{list-style:none;padding-left:.75rem;margin:.25rem 0}nav>ul{padding:0}main{flex:1;min-width:0;padding:1rem 1.5rem 4rem}
.op{border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem;margin:1rem 0}.op h3{margin:0;font-size:1rem;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.m-get{color:#1a7f37}.m-post{color:#0969da}.m-put,.m-patch{color:#9a6700}.m-delete{color:#cf222e}
.role{font-size:12px;border:1px solid var(--line);border-radius:999px;padding:0 .6em}.role-admin{border-color:#cf222e}.role-operator{border-color:#9a6700}.role-viewer{border-color:#1a7f37}
.summary{font-weight:600;margin:.4rem 0}table{border-collapse:collapse;width:100%;font-size:14px}th,td{border-bottom:1px solid var(--line);text-align:left;padding:.3rem .4rem;vertical-align:top}
.req{color:#cf222e;font-size:12px}.wo{color:var(--muted);font-size:12px}.type{color:var(--muted)}.props{padding-left:1.1rem}.props li{margin:.15rem 0}
.responses dt{font-weight:700;margin-top:.4rem}.responses dd{margin-left:1rem}.media-type{font-size:12px;color:var(--muted)}
.schema{border-top:1px solid var(--line);padding:.5rem 0}
@media (max-width:760px){.layout{display:block}nav{position:static;max-height:none;border-right:0;border-bottom:1px solid var(--line)}}
`;
