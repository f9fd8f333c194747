/**
 * The Vault transit stand-in (test/support/vaultTransit.ts) answers the two calls gocloud.dev/secrets/hashivault
 * makes, as github.com/hashicorp/vault/api sends them (PUT, JSON body, X-Vault-Token), and refuses a request without
 * its token. That the pinned Pulumi CLI opens a `hashivault://` stack with it is the bench's part
 * (bench/step-latency.ts and bench/per-service.ts create stacks with it on the real CLI); this file does not prove it.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { openTransit, sealTransit, startVaultTransit, type VaultTransit } from "../../support/vaultTransit";

interface Reply {
    status: number;
    body: { data?: Record<string, string>; errors?: string[] };
}

/** One request as the Vault Go client's `Logical().Write` sends it; `token` null sends no X-Vault-Token header. */
async function write(v: VaultTransit, path: string, data: Record<string, unknown>, token: string | null = v.token, method = "PUT"): Promise<Reply> {
    const res = await fetch(`${v.addr}/v1/${path}`, {
        method,
        headers: { "Content-Type": "application/json", "X-Vault-Request": "true", ...(token !== null ? { "X-Vault-Token": token } : {}) },
        body: JSON.stringify(data),
    });
    return { status: res.status, body: (await res.json()) as Reply["body"] };
}

describe("Vault transit stand-in (test/support/vaultTransit.ts)", () => {
    let vault: VaultTransit;
    beforeEach(async () => {
        vault = await startVaultTransit();
    });
    afterEach(async () => {
        await vault.close();
    });

    it("encrypt then decrypt gives the data key back; the ciphertext is Vault's vault:v1: form and hides the plaintext", async () => {
        const dataKey = randomBytes(32);
        const enc = await write(vault, "transit/encrypt/mesh-dev", { plaintext: dataKey.toString("base64") });
        expect(enc.status).to.equal(200);
        const ciphertext = enc.body.data?.["ciphertext"] ?? "";
        expect(ciphertext).to.match(/^vault:v1:[A-Za-z0-9+/=]+$/);
        expect(Buffer.from(ciphertext.slice(9), "base64").includes(dataKey)).to.equal(false);
        const dec = await write(vault, "transit/decrypt/mesh-dev", { ciphertext }, vault.token, "POST");
        expect(dec.status).to.equal(200);
        expect(dec.body.data?.["plaintext"]).to.equal(dataKey.toString("base64"));
        expect(vault.calls).to.deep.equal({ encrypt: 1, decrypt: 1, refused: 0 });
    });

    it("a wrong or missing token is refused with 403 \"permission denied\", and nothing is encrypted or decrypted for it", async () => {
        const enc = await write(vault, "transit/encrypt/mesh-dev", { plaintext: "AAAA" });
        const ciphertext = enc.body.data?.["ciphertext"] ?? "";
        for (const token of [`${vault.token}x`, "", null]) {
            const refusedEnc = await write(vault, "transit/encrypt/mesh-dev", { plaintext: "AAAA" }, token);
            expect(refusedEnc).to.deep.equal({ status: 403, body: { errors: ["permission denied"] } });
            const refusedDec = await write(vault, "transit/decrypt/mesh-dev", { ciphertext }, token);
            expect(refusedDec).to.deep.equal({ status: 403, body: { errors: ["permission denied"] } });
        }
        expect(vault.calls).to.deep.equal({ encrypt: 1, decrypt: 0, refused: 6 });
    });

    it("a ciphertext opens only under the key that sealed it, and not once tampered with", async () => {
        const enc = await write(vault, "transit/encrypt/env-a", { plaintext: randomBytes(32).toString("base64") });
        await write(vault, "transit/encrypt/env-b", { plaintext: "AAAA" });
        const ciphertext = enc.body.data?.["ciphertext"] ?? "";
        expect(await write(vault, "transit/decrypt/env-b", { ciphertext })).to.deep.equal({ status: 400, body: { errors: ["cipher: message authentication failed"] } });
        expect(await write(vault, "transit/decrypt/env-c", { ciphertext })).to.deep.equal({ status: 400, body: { errors: ["encryption key not found"] } });
        const raw = Buffer.from(ciphertext.slice(9), "base64");
        raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
        expect(await write(vault, "transit/decrypt/env-a", { ciphertext: `vault:v1:${raw.toString("base64")}` })).to.deep.equal({ status: 400, body: { errors: ["cipher: message authentication failed"] } });
    });

    it("refuses what Vault refuses: plaintext not base64, another engine's path, a GET", async () => {
        expect(await write(vault, "transit/encrypt/k", { plaintext: "not base64!" })).to.deep.equal({ status: 400, body: { errors: ["plaintext must be base64 encoded"] } });
        expect((await write(vault, "kv/data/k", { plaintext: "AAAA" })).status).to.equal(404);
        const get = await fetch(`${vault.addr}/v1/transit/encrypt/k`, { headers: { "X-Vault-Token": vault.token } });
        expect(get.status).to.equal(405);
    });

    it("env and secretsProvider name what the CLI needs: VAULT_ADDR on loopback, VAULT_TOKEN, hashivault://<key>", () => {
        expect(vault.env).to.deep.equal({ VAULT_ADDR: vault.addr, VAULT_TOKEN: vault.token });
        expect(vault.addr).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(vault.secretsProvider("mesh-bench")).to.equal("hashivault://mesh-bench");
    });

    it("sealTransit/openTransit: the key name is bound in (another name does not open it)", () => {
        const key = new Uint8Array(randomBytes(32));
        const sealed = sealTransit(key, "a", new TextEncoder().encode("data key"));
        expect(new TextDecoder().decode(openTransit(key, "a", sealed))).to.equal("data key");
        expect(openTransit(key, "b", sealed)).to.equal(undefined);
        expect(openTransit(new Uint8Array(randomBytes(32)), "a", sealed)).to.equal(undefined);
        expect(openTransit(key, "a", "vault:v2:AAAA")).to.equal(undefined);
    });
});
