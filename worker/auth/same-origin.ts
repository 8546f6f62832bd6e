// What a browser says about where a request comes from. Only browsers send these headers, and a page on another
// site cannot forge them, so they tell a cross-site request carrying an ambient credential (a cookie) apart.

const ALLOWED_FETCH_SITES = new Set(["same-origin", "none"]);

function originOf(url: string): string {
  const parsed = new URL(url);
  // The worker may see a WebSocket request as ws:/wss:; the browser's Origin names the page's http(s) origin.
  const scheme = parsed.protocol === "wss:" ? "https:" : parsed.protocol === "ws:" ? "http:" : parsed.protocol;
  return `${scheme}//${parsed.host}`;
}

export interface CrossOrigin {
  // The header that gave it away.
  header: "Origin" | "Sec-Fetch-Site";
  reason: string;
}

/** Why the request comes from another origin, or null when it does not (or says nothing: not a browser). */
export function crossOrigin(request: Request): CrossOrigin | null {
  const origin = request.headers.get("Origin");
  const own = originOf(request.url);
  if (origin !== null && origin !== own) {
    return { header: "Origin", reason: `The request comes from ${origin === "null" ? "an opaque origin" : origin}, not ${own}.` };
  }
  const site = request.headers.get("Sec-Fetch-Site");
  if (site !== null && !ALLOWED_FETCH_SITES.has(site.toLowerCase())) {
    return { header: "Sec-Fetch-Site", reason: `The browser marked the request Sec-Fetch-Site: ${site}; only same-origin requests are accepted.` };
  }
  return null;
}

export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);
