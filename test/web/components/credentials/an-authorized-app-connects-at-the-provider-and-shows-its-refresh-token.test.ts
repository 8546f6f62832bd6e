import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  jsonResponse,
  makeErrorBody,
  makeRefreshTokenCredential,
  makeRefreshTokenState,
  serveCredentialsApi,
  type CredentialsApiWorld,
  credentialFact,
  credentialItem,
  credentialWrites,
} from "../../factories";
import { withRouterPerTest } from "../../factories/router";
import { router } from "../../../../web/src/lib/router.svelte";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: CredentialsScreen } = await import("../../../../web/src/components/credentials/CredentialsScreen.svelte");

withRouterPerTest();

afterEach(() => {
  vi.restoreAllMocks();
});

const writes = credentialWrites;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const HOUR = 3_600_000;

const fact = credentialFact;

function hintOf(input: HTMLElement): string {
  const ids = (input.getAttribute("aria-describedby") ?? "").split(" ").filter((id) => id.endsWith("-hint"));
  return ids.map((id) => document.getElementById(id)?.textContent?.trim() ?? "").join(" ");
}

describe("an OAuth2 refresh-token credential", () => {
  it("is created with its client, authorize URL and a pasted refresh token, naming the redirect URI to register", async () => {
    const world: CredentialsApiWorld = {
      credentials: [],
      answer: (call) =>
        call.method === "POST" && call.path === "/api/credentials" ? jsonResponse(makeRefreshTokenCredential({ name: "HubSpot" }), 201) : undefined,
    };
    const calls = serveCredentialsApi(world);
    render(CredentialsScreen);

    const form = await screen.findByRole("form", { name: "Create a credential" });
    await fireEvent.input(within(form).getByLabelText("Name"), { target: { value: "HubSpot" } });
    await fireEvent.change(within(form).getByLabelText("Scheme"), { target: { value: "oauth2_refresh_token" } });
    const redirect = within(form).getByText(`${window.location.origin}/api/oauth/callback`);
    expect(redirect.tagName).toBe("CODE");
    expect(redirect.parentElement?.textContent).toContain("Register this redirect URI with the provider's app.");
    await fireEvent.input(within(form).getByLabelText("Token URL"), { target: { value: "https://api.hubapi.com/oauth/v1/token" } });
    await fireEvent.input(within(form).getByLabelText("Client ID"), { target: { value: "hubspot-app" } });
    await fireEvent.change(within(form).getByLabelText("Client authentication"), { target: { value: "body" } });
    await fireEvent.input(within(form).getByLabelText("Authorize URL (optional)"), { target: { value: "https://app.hubspot.com/oauth/authorize" } });
    await fireEvent.input(within(form).getByLabelText("Client secret"), { target: { value: "cs-123456" } });
    await fireEvent.input(within(form).getByLabelText("Refresh token (optional)"), { target: { value: " rt-pasted-9c1e\n" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Create credential" }));

    await screen.findByText('Created the credential "HubSpot".');
    expect(writes(calls)).toEqual([
      {
        method: "POST",
        path: "/api/credentials",
        body: {
          name: "HubSpot",
          scheme: "oauth2_refresh_token",
          config: {
            token_url: "https://api.hubapi.com/oauth/v1/token",
            client_id: "hubspot-app",
            client_auth: "body",
            authorize_url: "https://app.hubspot.com/oauth/authorize",
          },
          secret: "cs-123456",
          refresh_token: "rt-pasted-9c1e",
        },
      },
    ]);
  });

  it("lists its refresh token's hint and rotation, a missing one as not connected, and the provider's refusal", async () => {
    serveCredentialsApi({
      credentials: [
        makeRefreshTokenCredential({ name: "HubSpot", refresh_token: makeRefreshTokenState({ set_at: ago(72 * HOUR), rotated_at: ago(2 * HOUR) }) }),
        makeRefreshTokenCredential({
          name: "Xero",
          config: { token_url: "https://identity.xero.com/connect/token", client_id: "xero-app", client_auth: "basic" },
          refresh_token: null,
        }),
        makeRefreshTokenCredential({
          name: "Salesforce",
          refresh_token: makeRefreshTokenState({
            hint: "••••77aa",
            set_at: ago(48 * HOUR),
            error: "invalid_grant: expired access/refresh token",
            error_at: ago(HOUR),
          }),
        }),
      ],
    });
    render(CredentialsScreen);

    const hubspot = await credentialItem("HubSpot");
    expect(within(hubspot).getByText("OAuth2 refresh token (authorized app)")).toBeTruthy();
    expect(fact(hubspot, "Refresh token")).toBe("••••9c1e, set 3 days ago, rotated by the provider 2 hours ago");
    expect(fact(hubspot, "Client secret")).toBe("••••3f9a");
    expect(fact(hubspot, "Token URL")).toBe("https://api.hubapi.com/oauth/v1/token");
    expect(fact(hubspot, "Client authentication")).toBe("In the form body (HubSpot, Salesforce)");
    expect(within(hubspot).queryByRole("alert")).toBeNull();

    const xero = await credentialItem("Xero");
    expect(fact(xero, "Refresh token")).toBe("Not connected: runs fail at their first token");
    expect(fact(xero, "Client authentication")).toBe("HTTP Basic header (Xero, QuickBooks)");

    const salesforce = await credentialItem("Salesforce");
    expect(fact(salesforce, "Refresh token")).toBe("••••77aa, set 2 days ago");
    expect(within(salesforce).getByRole("alert").textContent?.replace(/\s+/g, " ").trim()).toBe(
      "The provider refused the refresh token 1 hour ago: invalid_grant: expired access/refresh token. Connect again, or paste a new refresh token under Edit.",
    );
  });

  it("keeps the stored refresh token when the edit leaves it blank, and replaces it with a typed one", async () => {
    let credential = makeRefreshTokenCredential({ id: "cred_hub", name: "HubSpot" });
    const calls = serveCredentialsApi({
      credentials: [credential],
      answer: (call) => {
        if (call.method !== "PATCH") return undefined;
        const body = call.body as { name?: string; refresh_token?: string };
        credential = {
          ...credential,
          name: body.name ?? credential.name,
          refresh_token: body.refresh_token ? makeRefreshTokenState({ hint: "••••0new" }) : credential.refresh_token,
        };
        return jsonResponse(credential);
      },
    });
    render(CredentialsScreen);

    await fireEvent.click(within(await credentialItem("HubSpot")).getByRole("button", { name: "Edit HubSpot" }));
    let form = screen.getByRole("form", { name: "Edit HubSpot" });
    expect(hintOf(within(form).getByLabelText("New refresh token (optional)"))).toContain("Leave blank to keep the current one (••••9c1e)");
    await fireEvent.input(within(form).getByLabelText("Name"), { target: { value: "HubSpot (portal 42)" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await screen.findByText('Saved "HubSpot (portal 42)".');

    await fireEvent.click(within(await credentialItem("HubSpot (portal 42)")).getByRole("button", { name: "Edit HubSpot (portal 42)" }));
    form = screen.getByRole("form", { name: "Edit HubSpot (portal 42)" });
    await fireEvent.input(within(form).getByLabelText("New refresh token (optional)"), { target: { value: "rt-new-0new" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await screen.findByText('Saved "HubSpot (portal 42)" with its new refresh token (••••0new).');

    expect(writes(calls)).toEqual([
      { method: "PATCH", path: "/api/credentials/cred_hub", body: { name: "HubSpot (portal 42)" } },
      { method: "PATCH", path: "/api/credentials/cred_hub", body: { refresh_token: "rt-new-0new" } },
    ]);
  });

  it("connects: asks the API for the provider's address and sends the browser there, or shows why not", async () => {
    const authorizeUrl = "https://app.hubspot.com/oauth/authorize?client_id=hubspot-app&state=s1&code_challenge=c1";
    const leave = vi.spyOn(router, "leave").mockImplementation(() => {});
    const calls = serveCredentialsApi({
      credentials: [
        makeRefreshTokenCredential({ id: "cred_new", name: "HubSpot", refresh_token: null }),
        makeRefreshTokenCredential({ id: "cred_kept", name: "QuickBooks" }),
        makeRefreshTokenCredential({ name: "Pasted only", config: { token_url: "https://t.example.com/token", client_id: "c", client_auth: "basic" } }),
      ],
      answer: (call) => {
        if (call.path === "/api/credentials/cred_new/connect") {
          return jsonResponse({ authorize_url: authorizeUrl, redirect_uri: "http://localhost/api/oauth/callback", expires_at: "2026-11-20T10:10:00.000Z" });
        }
        if (call.path === "/api/credentials/cred_kept/connect") {
          return jsonResponse(
            makeErrorBody("validation_failed", "Invalid request body: config.authorize_url: is not allowed", [
              { path: "config.authorize_url", message: "is not allowed" },
            ]),
            400,
          );
        }
        return undefined;
      },
    });
    render(CredentialsScreen);

    const pasted = await credentialItem("Pasted only");
    expect(within(pasted).queryByRole("button", { name: /^Connect/ })).toBeNull();

    await fireEvent.click(within(await credentialItem("HubSpot")).getByRole("button", { name: "Connect HubSpot" }));
    await waitFor(() => expect(leave).toHaveBeenCalledWith(authorizeUrl));

    const quickbooks = await credentialItem("QuickBooks");
    const again = within(quickbooks).getByRole("button", { name: "Connect QuickBooks again" });
    expect(again.textContent?.trim()).toBe("Connect again");
    await fireEvent.click(again);
    expect((await within(quickbooks).findByRole("alert")).textContent).toBe("Invalid request body: config.authorize_url: is not allowed");
    expect(leave).toHaveBeenCalledTimes(1);

    expect(writes(calls)).toEqual([
      { method: "POST", path: "/api/credentials/cred_new/connect", body: {} },
      { method: "POST", path: "/api/credentials/cred_kept/connect", body: {} },
    ]);
  });
});

describe("coming back from the provider", () => {
  const hubspot = makeRefreshTokenCredential({ id: "cred_hub", name: "HubSpot" });

  it("says the credential is connected and takes the outcome out of the address", async () => {
    serveCredentialsApi({ credentials: [hubspot] });
    router.navigate("/credentials?connected=cred_hub&keep=1", { replace: true });
    render(CredentialsScreen);

    expect((await screen.findByText('Connected "HubSpot": its refresh token is saved.')).getAttribute("role")).toBe("status");
    expect(window.location.pathname + window.location.search).toBe("/credentials?keep=1");
  });

  it("says why connecting failed, as an alert, and takes the outcome out of the address", async () => {
    serveCredentialsApi({ credentials: [hubspot] });
    router.navigate(`/credentials?connect_error=${encodeURIComponent("access_denied: the person declined")}&credential=cred_hub`, { replace: true });
    render(CredentialsScreen);

    const section = screen.getByRole("region", { name: "Credentials" });
    expect((await within(section).findByRole("alert")).textContent).toBe('Connecting "HubSpot" failed: access_denied: the person declined');
    expect(window.location.pathname + window.location.search).toBe("/credentials");
    expect(router.search).toBe("");
  });
});
