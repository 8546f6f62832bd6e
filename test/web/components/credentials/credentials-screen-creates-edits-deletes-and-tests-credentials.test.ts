import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  jsonResponse,
  makeConnection,
  makeCredential,
  makeErrorBody,
  serveCredentialsApi as serve,
  stubModalDialogs,
  credentialFact,
  credentialItem,
  credentialWrites,
  creatingWorld,
} from "../../factories";
import type { Credential, TestAuthResult } from "../../../../worker/schemas/types";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: CredentialsScreen } = await import("../../../../web/src/components/credentials/CredentialsScreen.svelte");

const writes = credentialWrites;

const fact = credentialFact;

function fieldErrors(input: HTMLElement): string {
  const ids = (input.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id.endsWith("-error"));
  return ids.map((id) => document.getElementById(id)?.textContent?.trim() ?? "").join(" ");
}

beforeEach(() => {
  stubModalDialogs();
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the Credentials screen", () => {
  it("lists each credential with its scheme, secret hint and the connections that use it", async () => {
    const fleet = makeCredential({ id: "cred_fleet", name: "Fleet API", secret_hint: "••••7f3a", connection_count: 2 });
    const oauth = makeCredential({
      name: "Identity provider",
      scheme: "oauth2_client_credentials",
      config: { token_url: "https://auth.example.com/oauth/token", client_id: "sync", client_auth: "basic", scope: "devices:write" },
      secret_hint: "••••c1d2",
    });
    const open = makeCredential({ name: "Open sandbox", scheme: "none", config: {}, has_secret: false, secret_hint: null });
    const connections = [
      makeConnection({ id: "conn_json", name: "Device status (JSON)", credential_id: "cred_fleet" }),
      makeConnection({ id: "conn_xml", name: "Device status (XML)", credential_id: "cred_fleet" }),
    ];
    serve({ credentials: [fleet, oauth, open], connections });
    render(CredentialsScreen);

    const fleetItem = await credentialItem("Fleet API");
    expect(within(fleetItem).getByText("Bearer token")).toBeTruthy();
    expect(fact(fleetItem, "Token")).toBe("••••7f3a");
    await waitFor(() => expect(fact(fleetItem, "Connections")).toBe("Device status (JSON)Device status (XML)"));
    expect(within(fleetItem).getByRole("link", { name: "Device status (XML)" }).getAttribute("href")).toBe("/connections/conn_xml");

    const oauthItem = await credentialItem("Identity provider");
    expect(fact(oauthItem, "Client secret")).toBe("••••c1d2");
    expect(fact(oauthItem, "Token URL")).toBe("https://auth.example.com/oauth/token");
    expect(fact(oauthItem, "Scope")).toBe("devices:write");
    expect(fact(oauthItem, "Connections")).toBe("None yet · New connection");

    expect(fact(await credentialItem("Open sandbox"), "Secret")).toBe("None: requests go without auth");
  });

  it("creates an API key credential with its header, prefix and secret, and shows the API's error at the field", async () => {
    const calls = serve({
      credentials: [],
      answer: (call) => {
        if (call.method !== "POST" || call.path !== "/api/credentials") return undefined;
        const body = call.body as { secret: string };
        if (body.secret === "") {
          return jsonResponse(makeErrorBody("validation_failed", "Invalid request body: secret: too short", [{ path: "secret", message: "too short" }]), 400);
        }
        return jsonResponse(makeCredential({ name: "Fleet key", scheme: "api_key", config: { header_name: "X-Fleet-Key", value_prefix: "Key " } }), 201);
      },
    });
    render(CredentialsScreen);

    const form = await screen.findByRole("form", { name: "Create a credential" });
    await fireEvent.input(within(form).getByLabelText("Name"), { target: { value: "Fleet key" } });
    await fireEvent.change(within(form).getByLabelText("Scheme"), { target: { value: "api_key" } });
    await fireEvent.input(within(form).getByLabelText("Header name"), { target: { value: "X-Fleet-Key" } });
    await fireEvent.input(within(form).getByLabelText("Value prefix (optional)"), { target: { value: "Key " } });
    await fireEvent.click(within(form).getByRole("button", { name: "Create credential" }));

    const secret = within(form).getByLabelText("API key");
    await waitFor(() => expect(secret.getAttribute("aria-invalid")).toBe("true"));
    expect(fieldErrors(secret)).toBe("too short");

    await fireEvent.input(secret, { target: { value: "k-123456" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Create credential" }));
    await screen.findByText('Created the credential "Fleet key".');
    expect(writes(calls).at(-1)).toEqual({
      method: "POST",
      path: "/api/credentials",
      body: { name: "Fleet key", scheme: "api_key", config: { header_name: "X-Fleet-Key", value_prefix: "Key " }, secret: "k-123456" },
    });
  });

  it("creates a service-account credential from a pasted multi-line key, and lists what its assertion claims", async () => {
    const KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n";
    const config = {
      token_url: "https://oauth2.googleapis.com/token",
      issuer: "sync@fleet.iam.gserviceaccount.com",
      scope: "https://www.googleapis.com/auth/cloud-platform",
      algorithm: "ES256",
    } as const;
    const created = makeCredential({ name: "Google service account", scheme: "oauth2_jwt_bearer", config, secret_hint: "••••AQC7" });
    const calls = serve(creatingWorld(created));
    render(CredentialsScreen);

    const form = await screen.findByRole("form", { name: "Create a credential" });
    await fireEvent.input(within(form).getByLabelText("Name"), { target: { value: "Google service account" } });
    await fireEvent.change(within(form).getByLabelText("Scheme"), { target: { value: "oauth2_jwt_bearer" } });
    await fireEvent.input(within(form).getByLabelText("Token URL"), { target: { value: config.token_url } });
    await fireEvent.input(within(form).getByLabelText("Issuer"), { target: { value: config.issuer } });
    await fireEvent.input(within(form).getByLabelText("Scope (optional)"), { target: { value: config.scope } });
    await fireEvent.change(within(form).getByLabelText("Signing algorithm"), { target: { value: "ES256" } });
    const key = within(form).getByLabelText("Private key");
    expect(key.tagName).toBe("TEXTAREA");
    await fireEvent.input(key, { target: { value: KEY } });
    await fireEvent.click(within(form).getByRole("button", { name: "Create credential" }));
    await screen.findByText('Created the credential "Google service account".');
    expect(writes(calls).at(-1)).toEqual({
      method: "POST",
      path: "/api/credentials",
      body: { name: "Google service account", scheme: "oauth2_jwt_bearer", config, secret: KEY },
    });

    const item = await credentialItem("Google service account");
    expect(within(item).getByText("OAuth2 service account (JWT bearer)")).toBeTruthy();
    expect(fact(item, "Private key")).toBe("••••AQC7");
    expect(fact(item, "Issuer")).toBe(config.issuer);
    expect(fact(item, "Audience")).toBe(config.token_url);
    expect(fact(item, "Signing algorithm")).toBe("ES256 (EC key, P-256)");
  });

  it("fills the issuer, key ID and token URL from a pasted Google key file, keeping what was typed", async () => {
    const keyFile = JSON.stringify(
      {
        type: "service_account",
        private_key_id: "4f1c2a",
        private_key: "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
        client_email: "sync@fleet-project.iam.gserviceaccount.com",
        token_uri: "https://oauth2.googleapis.com/token",
      },
      null,
      2,
    );
    const calls = serve({
      credentials: [],
      answer: (call) => (call.method === "POST" ? jsonResponse(makeCredential({ name: "From a key file" }), 201) : undefined),
    });
    render(CredentialsScreen);
    const form = await screen.findByRole("form", { name: "Create a credential" });
    await fireEvent.input(within(form).getByLabelText("Name"), { target: { value: "From a key file" } });
    await fireEvent.change(within(form).getByLabelText("Scheme"), { target: { value: "oauth2_jwt_bearer" } });
    await fireEvent.input(within(form).getByLabelText("Key ID (optional)"), { target: { value: "typed-kid" } });
    await fireEvent.input(within(form).getByLabelText("Private key"), { target: { value: keyFile } });
    expect((within(form).getByLabelText("Issuer") as HTMLInputElement).value).toBe("sync@fleet-project.iam.gserviceaccount.com");
    expect((within(form).getByLabelText("Token URL") as HTMLInputElement).value).toBe("https://oauth2.googleapis.com/token");
    expect((within(form).getByLabelText("Key ID (optional)") as HTMLInputElement).value).toBe("typed-kid");
    await fireEvent.click(within(form).getByRole("button", { name: "Create credential" }));
    await screen.findByText('Created the credential "From a key file".');
    expect(writes(calls).at(-1)!.body).toMatchObject({
      scheme: "oauth2_jwt_bearer",
      config: {
        token_url: "https://oauth2.googleapis.com/token",
        issuer: "sync@fleet-project.iam.gserviceaccount.com",
        key_id: "typed-kid",
        algorithm: "RS256",
      },
      secret: keyFile,
    });
  });

  it("asks an OAuth2 client that signs its assertions for its private key, algorithm and key id", async () => {
    const KEY = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----\n";
    const calls = serve({
      credentials: [],
      answer: (call) =>
        call.method === "POST" && call.path === "/api/credentials"
          ? jsonResponse(
              makeCredential({
                name: "Okta client",
                scheme: "oauth2_client_credentials",
                config: (call.body as Extract<Credential, { scheme: "oauth2_client_credentials" }>).config,
              }),
              201,
            )
          : undefined,
    });
    render(CredentialsScreen);
    const form = await screen.findByRole("form", { name: "Create a credential" });
    await fireEvent.input(within(form).getByLabelText("Name"), { target: { value: "Okta client" } });
    await fireEvent.change(within(form).getByLabelText("Scheme"), { target: { value: "oauth2_client_credentials" } });
    expect(within(form).getByLabelText("Client secret").tagName).toBe("INPUT");
    await fireEvent.input(within(form).getByLabelText("Token URL"), { target: { value: "https://fleet.okta.com/oauth2/default/v1/token" } });
    await fireEvent.input(within(form).getByLabelText("Client ID"), { target: { value: "0oa-sync" } });
    await fireEvent.change(within(form).getByLabelText("Client authentication"), { target: { value: "private_key_jwt" } });
    await fireEvent.change(within(form).getByLabelText("Signing algorithm"), { target: { value: "ES256" } });
    await fireEvent.input(within(form).getByLabelText("Key ID (optional)"), { target: { value: "sync-2026" } });
    await fireEvent.input(within(form).getByLabelText("Certificate thumbprint (optional)"), { target: { value: "84E05B9D8C3F2A1B7E6D5C4B3A29180F7E6D5C4B" } });
    const key = within(form).getByLabelText("Private key");
    expect(key.tagName).toBe("TEXTAREA");
    await fireEvent.input(key, { target: { value: KEY } });
    await fireEvent.click(within(form).getByRole("button", { name: "Create credential" }));
    await screen.findByText('Created the credential "Okta client".');
    expect(writes(calls).at(-1)!.body).toEqual({
      name: "Okta client",
      scheme: "oauth2_client_credentials",
      config: {
        token_url: "https://fleet.okta.com/oauth2/default/v1/token",
        client_id: "0oa-sync",
        client_auth: "private_key_jwt",
        algorithm: "ES256",
        key_id: "sync-2026",
        certificate_thumbprint: "84E05B9D8C3F2A1B7E6D5C4B3A29180F7E6D5C4B",
      },
      secret: KEY,
    });
  });

  it("creates an AWS Signature V4 credential from its key id, region and service", async () => {
    const config = { access_key_id: "AKIAIOSFODNN7EXAMPLE", region: "eu-west-1", service: "lambda" };
    const created = makeCredential({ name: "Fleet API Gateway", scheme: "aws_sigv4", config, secret_hint: "••••EKEY" });
    const calls = serve(creatingWorld(created));
    render(CredentialsScreen);
    const form = await screen.findByRole("form", { name: "Create a credential" });
    await fireEvent.input(within(form).getByLabelText("Name"), { target: { value: "Fleet API Gateway" } });
    await fireEvent.change(within(form).getByLabelText("Scheme"), { target: { value: "aws_sigv4" } });
    await fireEvent.input(within(form).getByLabelText("Access key ID"), { target: { value: config.access_key_id } });
    await fireEvent.input(within(form).getByLabelText("Region"), { target: { value: config.region } });
    expect((within(form).getByLabelText("Service") as HTMLInputElement).value).toBe("execute-api");
    await fireEvent.input(within(form).getByLabelText("Service"), { target: { value: "lambda" } });
    await fireEvent.input(within(form).getByLabelText("Secret access key"), { target: { value: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Create credential" }));
    await screen.findByText('Created the credential "Fleet API Gateway".');
    expect(writes(calls).at(-1)!.body).toEqual({ name: "Fleet API Gateway", scheme: "aws_sigv4", config, secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" });
    const item = await credentialItem("Fleet API Gateway");
    expect(fact(item, "Secret access key")).toBe("••••EKEY");
    expect(fact(item, "Region")).toBe("eu-west-1");
    expect(fact(item, "Service")).toBe("lambda");
  });

  it("edits without touching the secret when it is left blank, and rotates it when one is typed", async () => {
    let credential = makeCredential({ id: "cred_edit", name: "Fleet API", secret_hint: "••••old1" });
    const calls = serve({
      credentials: [credential],
      answer: (call) => {
        if (call.method !== "PATCH") return undefined;
        const body = call.body as { name?: string; secret?: string };
        credential = { ...credential, name: body.name ?? credential.name, secret_hint: body.secret ? "••••new2" : credential.secret_hint };
        return jsonResponse(credential);
      },
    });
    render(CredentialsScreen);

    const item = await credentialItem("Fleet API");
    await fireEvent.click(within(item).getByRole("button", { name: "Edit Fleet API" }));
    let form = screen.getByRole("form", { name: "Edit Fleet API" });
    const secret = within(form).getByLabelText("New token (optional)");
    expect(fieldHint(secret)).toContain("Leave blank to keep the current one (••••old1)");
    await fireEvent.input(within(form).getByLabelText("Name"), { target: { value: "Fleet API (prod)" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await screen.findByText('Saved "Fleet API (prod)".');

    const renamed = await credentialItem("Fleet API (prod)");
    await fireEvent.click(within(renamed).getByRole("button", { name: "Edit Fleet API (prod)" }));
    form = screen.getByRole("form", { name: "Edit Fleet API (prod)" });
    await fireEvent.input(within(form).getByLabelText("New token (optional)"), { target: { value: "tok-new-000002" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await screen.findByText('Saved "Fleet API (prod)" with its new secret (••••new2).');
    expect(fact(await credentialItem("Fleet API (prod)"), "Token")).toBe("••••new2");

    expect(writes(calls)).toEqual([
      { method: "PATCH", path: "/api/credentials/cred_edit", body: { name: "Fleet API (prod)" } },
      { method: "PATCH", path: "/api/credentials/cred_edit", body: { secret: "tok-new-000002" } },
    ]);
  });

  it("shows why a delete was refused while connections use the credential", async () => {
    const credential = makeCredential({ id: "cred_used", name: "Fleet API", connection_count: 1 });
    const message = 'The credential is used by 1 connection: "Device status (JSON)". Delete that connection first, or edit the credential instead.';
    serve({
      credentials: [credential],
      connections: [makeConnection({ name: "Device status (JSON)", credential_id: "cred_used" })],
      answer: (call) =>
        call.method === "DELETE" && call.path === "/api/credentials/cred_used"
          ? jsonResponse(makeErrorBody("credential_in_use", message, [{ path: "connections", message: "used by" }]), 409)
          : undefined,
    });
    render(CredentialsScreen);

    const item = await credentialItem("Fleet API");
    await fireEvent.click(within(item).getByRole("button", { name: "Delete Fleet API" }));
    const dialog = screen.getByRole("dialog", { name: "Delete Fleet API?" });
    expect(dialog.textContent).toContain("1 connection uses it, so the delete will be refused");
    await fireEvent.click(within(dialog).getByRole("button", { name: "Delete credential" }));

    const alert = await within(item).findByRole("alert");
    expect(alert.textContent).toBe(message);
    expect(screen.getByRole("heading", { name: "Fleet API", level: 3 })).toBeTruthy();
  });

  it("tests an OAuth2 credential: shows the token's expiry, never a token, and a refused URL at its field", async () => {
    const credential = makeCredential({
      id: "cred_oauth",
      name: "Identity provider",
      scheme: "oauth2_client_credentials",
      config: { token_url: "https://auth.example.com/oauth/token", client_id: "sync", client_auth: "basic" },
    });
    const result: TestAuthResult = {
      ok: true,
      request: { method: "GET", url: "https://api.example.com/v1/devices", status: 200, duration_ms: 84 },
      excerpt: '{"devices":[{"serial":"DEV-00001","note":"[redacted]"}]}',
      excerpt_truncated: true,
      token: { token_type: "Bearer", expires_at: "2026-11-20T11:00:00.000Z", expires_in_s: 3600, expiry_stated: true },
      assertion: null,
    };
    const calls = serve({
      credentials: [credential],
      answer: (call) => {
        if (call.path !== "/api/credentials/cred_oauth/test-auth") return undefined;
        const { url } = call.body as { url?: string };
        if (url?.startsWith("http://10.")) {
          return jsonResponse(
            makeErrorBody("validation_failed", "Invalid request body: url: private", [{ path: "url", message: "The host 10.0.0.5 is a private address." }]),
            400,
          );
        }
        return jsonResponse(result);
      },
    });
    render(CredentialsScreen);

    const panel = within(await credentialItem("Identity provider")).getByRole("region", { name: "Test authentication" });
    const url = within(panel).getByLabelText("URL to call (optional)");
    await fireEvent.input(url, { target: { value: "http://10.0.0.5/devices" } });
    await fireEvent.click(within(panel).getByRole("button", { name: "Test authentication" }));
    await waitFor(() => expect(url.getAttribute("aria-invalid")).toBe("true"));
    expect(fieldErrors(url)).toBe("The host 10.0.0.5 is a private address.");

    await fireEvent.input(url, { target: { value: "https://api.example.com/v1/devices" } });
    await fireEvent.click(within(panel).getByRole("button", { name: "Test authentication" }));
    const outcome = await within(panel).findByText("Accepted.");
    const text = outcome.closest(".notice")?.textContent?.replace(/\s+/g, " ") ?? "";
    expect(text).toContain("GET https://api.example.com/v1/devices: HTTP 200 in 84 ms");
    expect(text).toContain("OAuth2 token issued (Bearer); it expires in 60 min");
    expect(text).toContain("The token itself is never shown.");
    expect(within(panel).getByLabelText("Response excerpt").textContent).toBe('{"devices":[{"serial":"DEV-00001","note":"[redacted]"}]}…');
    expect(url.getAttribute("aria-invalid")).toBeNull();
    expect(within(panel).queryByLabelText("Assertion sent")).toBeNull();

    await fireEvent.input(url, { target: { value: "" } });
    await fireEvent.click(within(panel).getByRole("button", { name: "Test authentication" }));
    await waitFor(() => expect(writes(calls)).toHaveLength(3));
    expect(writes(calls).map((call) => call.body)).toEqual([{ url: "http://10.0.0.5/devices" }, { url: "https://api.example.com/v1/devices" }, {}]);
  });
});

describe("testing a credential that signs JWTs", () => {
  it("shows the refused assertion's header and claims beside the provider's reason", async () => {
    const credential = makeCredential({
      id: "cred_sa",
      name: "Service account",
      scheme: "oauth2_jwt_bearer",
      config: { token_url: "https://oauth2.googleapis.com/token", issuer: "sync@fleet.iam.gserviceaccount.com", algorithm: "RS256" },
    });
    const assertion = {
      header: { alg: "RS256", typ: "JWT" },
      claims: { iss: "sync@fleet.iam.gserviceaccount.com", aud: "https://oauth2.googleapis.com/token", iat: 1, exp: 151, jti: "j-1" },
    };
    serve({
      credentials: [credential],
      answer: (call) =>
        call.path === "/api/credentials/cred_sa/test-auth"
          ? jsonResponse({
              ok: false,
              request: null,
              excerpt: null,
              excerpt_truncated: false,
              token: null,
              assertion,
              error: {
                code: "auth_failed",
                message: "OAuth2 token endpoint returned 400: invalid_grant",
                hint: "Check the credential's issuer",
                http_status: 400,
              },
            } satisfies TestAuthResult)
          : undefined,
    });
    render(CredentialsScreen);
    const panel = within(await credentialItem("Service account")).getByRole("region", { name: "Test authentication" });
    await fireEvent.click(within(panel).getByRole("button", { name: "Test authentication" }));
    await within(panel).findByText("Not accepted.");
    expect(JSON.parse(within(panel).getByLabelText("Assertion sent").textContent!)).toEqual(assertion);
  });
});

function fieldHint(input: HTMLElement): string {
  const ids = (input.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id.endsWith("-hint"));
  return ids.map((id) => document.getElementById(id)?.textContent?.trim() ?? "").join(" ");
}
