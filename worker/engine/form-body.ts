// A payload as application/x-www-form-urlencoded, the way Stripe, Twilio and Rails-style APIs read nested forms:
// metadata[site]=AMS-01, tags[0]=a; true and false as words, numbers as their decimal text, null as an empty
// value (Stripe's way of unsetting a field). A field whose object or list is empty is sent empty too.
export function formBody(payload: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(payload)) addField(params, key, value);
  return params.toString();
}

function addField(params: URLSearchParams, name: string, value: unknown): void {
  if (value === null || value === undefined) {
    params.append(name, "");
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) params.append(name, "");
    value.forEach((item, i) => addField(params, `${name}[${i}]`, item));
    return;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) params.append(name, "");
    for (const [key, item] of entries) addField(params, `${name}[${key}]`, item);
    return;
  }
  params.append(name, typeof value === "string" ? value : String(value));
}
