import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  credentialFact,
  credentialItem,
  credentialWrites,
  jsonResponse,
  makeCredential,
  serveCredentialsApi,
  type CredentialsApiWorld,
  creatingWorld,
} from "../../factories";
import type { Credential } from "../../../../worker/schemas/types";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "admin", name: "e2e-admin" }));
});

const { default: CredentialsScreen } = await import("../../../../web/src/components/credentials/CredentialsScreen.svelte");

afterEach(() => {
  vi.unstubAllGlobals();
});

type AwsCredential = Extract<Credential, { scheme: "aws_sigv4" }>;

const ROLE_ARN = "arn:aws:iam::123456789012:role/outbound-sync";
const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

const writes = credentialWrites;

const fact = credentialFact;

function makeAwsCredential(config: Partial<AwsCredential["config"]> = {}): AwsCredential {
  return makeCredential({
    id: "cred_aws",
    name: "Partner API Gateway",
    scheme: "aws_sigv4",
    config: { access_key_id: "AKIAIOSFODNN7EXAMPLE", region: "eu-west-1", service: "execute-api", ...config },
    secret_hint: "••••EKEY",
  }) as AwsCredential;
}

// PATCH merges the given settings into the stored ones, as the API does with the scheme unchanged.
function editableWorld(credential: AwsCredential): CredentialsApiWorld {
  const world: CredentialsApiWorld = {
    credentials: [credential],
    answer: (call) => {
      if (call.method !== "PATCH" || call.path !== "/api/credentials/cred_aws") return undefined;
      const body = call.body as { config?: Record<string, string> };
      const stored = world.credentials[0] as AwsCredential;
      world.credentials[0] = { ...stored, config: { ...stored.config, ...body.config } };
      return jsonResponse(world.credentials[0]);
    },
  };
  return world;
}

describe("an AWS Signature V4 credential that assumes a role", () => {
  it("is created with the role ARN and external id, and the list names the role", async () => {
    const config = { access_key_id: "AKIAIOSFODNN7EXAMPLE", region: "eu-west-1", service: "execute-api", role_arn: ROLE_ARN, external_id: "fleet-7731" };
    const calls = serveCredentialsApi(creatingWorld(makeCredential({ name: "Partner API Gateway", scheme: "aws_sigv4", config, secret_hint: "••••EKEY" })));
    render(CredentialsScreen);

    const form = await screen.findByRole("form", { name: "Create a credential" });
    await fireEvent.input(within(form).getByLabelText("Name"), { target: { value: "Partner API Gateway" } });
    await fireEvent.change(within(form).getByLabelText("Scheme"), { target: { value: "aws_sigv4" } });
    await fireEvent.input(within(form).getByLabelText("Access key ID"), { target: { value: config.access_key_id } });
    await fireEvent.input(within(form).getByLabelText("Region"), { target: { value: config.region } });
    await fireEvent.input(within(form).getByLabelText("Secret access key"), { target: { value: SECRET } });
    // The role's other settings wait for a role.
    expect(within(form).queryByLabelText("External ID (optional)")).toBeNull();
    await fireEvent.input(within(form).getByLabelText("Role ARN (optional)"), { target: { value: ` ${ROLE_ARN} ` } });
    await fireEvent.input(within(form).getByLabelText("External ID (optional)"), { target: { value: config.external_id } });
    expect(within(form).getByLabelText("Session name (optional)").getAttribute("placeholder")).toBe("outbound-sync");
    const stsUrl = within(form).getByLabelText("STS endpoint (optional)");
    expect(stsUrl.getAttribute("type")).toBe("url");
    expect(stsUrl.getAttribute("placeholder")).toBe("https://sts.eu-west-1.amazonaws.com/");
    await fireEvent.click(within(form).getByRole("button", { name: "Create credential" }));

    await screen.findByText('Created the credential "Partner API Gateway".');
    // Blank session name and STS endpoint are left out: the API's defaults.
    expect(writes(calls)).toEqual([
      { method: "POST", path: "/api/credentials", body: { name: "Partner API Gateway", scheme: "aws_sigv4", config, secret: SECRET } },
    ]);
    const item = await credentialItem("Partner API Gateway");
    expect(fact(item, "Role")).toBe(ROLE_ARN);
    expect(within(item).getByText(ROLE_ARN).tagName).toBe("CODE");
    expect(fact(item, "External ID")).toBe("fleet-7731");
  });

  it("lists neither a role nor an external id for a credential without a role", async () => {
    serveCredentialsApi({ credentials: [makeAwsCredential()] });
    render(CredentialsScreen);
    const item = await credentialItem("Partner API Gateway");
    expect(fact(item, "Service")).toBe("execute-api");
    expect(within(item).queryByText("Role", { selector: "dt" })).toBeNull();
    expect(within(item).queryByText("External ID", { selector: "dt" })).toBeNull();
  });

  it("sends only a changed external id when edited, keeping the secret access key", async () => {
    const calls = serveCredentialsApi(editableWorld(makeAwsCredential({ role_arn: ROLE_ARN, external_id: "fleet-7731", session_name: "sync-eu" })));
    render(CredentialsScreen);

    await fireEvent.click(within(await credentialItem("Partner API Gateway")).getByRole("button", { name: "Edit Partner API Gateway" }));
    const form = screen.getByRole("form", { name: "Edit Partner API Gateway" });
    expect((within(form).getByLabelText("Role ARN (optional)") as HTMLInputElement).value).toBe(ROLE_ARN);
    expect((within(form).getByLabelText("Session name (optional)") as HTMLInputElement).value).toBe("sync-eu");
    expect((within(form).getByLabelText("STS endpoint (optional)") as HTMLInputElement).value).toBe("");
    await fireEvent.input(within(form).getByLabelText("External ID (optional)"), { target: { value: "fleet-7732" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));

    await screen.findByText('Saved "Partner API Gateway".');
    expect(writes(calls)).toEqual([{ method: "PATCH", path: "/api/credentials/cred_aws", body: { config: { external_id: "fleet-7732" } } }]);
    expect(fact(await credentialItem("Partner API Gateway"), "External ID")).toBe("fleet-7732");
  });

  it("clears a role setting as any other optional one, and removing the role clears the settings that went with it", async () => {
    const calls = serveCredentialsApi(
      editableWorld(makeAwsCredential({ role_arn: ROLE_ARN, external_id: "fleet-7731", sts_url: "https://sts.eu-west-1.amazonaws.com/" })),
    );
    render(CredentialsScreen);

    await fireEvent.click(within(await credentialItem("Partner API Gateway")).getByRole("button", { name: "Edit Partner API Gateway" }));
    let form = screen.getByRole("form", { name: "Edit Partner API Gateway" });
    await fireEvent.input(within(form).getByLabelText("STS endpoint (optional)"), { target: { value: "" } });
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await screen.findByText('Saved "Partner API Gateway".');

    await fireEvent.click(within(await credentialItem("Partner API Gateway")).getByRole("button", { name: "Edit Partner API Gateway" }));
    form = screen.getByRole("form", { name: "Edit Partner API Gateway" });
    await fireEvent.input(within(form).getByLabelText("Role ARN (optional)"), { target: { value: "" } });
    expect(within(form).queryByLabelText("External ID (optional)")).toBeNull();
    await fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(writes(calls)).toHaveLength(2));
    expect(writes(calls).map((call) => call.body)).toEqual([{ config: { sts_url: "" } }, { config: { role_arn: "", external_id: "" } }]);
  });
});
