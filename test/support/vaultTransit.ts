/**
 * Test and bench support: a loopback stand-in for HashiCorp Vault's transit secrets engine, the key management
 * service behind Pulumi's `hashivault://<key>` secrets provider. FOR TESTS AND BENCHMARKS ONLY: its keys live in
 * this process's memory and die with it; a user's stacks name their own KMS (README, "Secrets providers").
 *
 * What it serves is exactly what the pinned CLI calls (pulumi/pulumi v3.260.0 `pkg/secrets/cloud/manager.go` opens
 * the keeper of `gocloud.dev/secrets/hashivault` v0.46.0, whose `Encrypt`/`Decrypt` are one
 * `client.Logical().Write` each, a PUT through `github.com/hashicorp/vault/api` v1.22.0):
 *
 * - `PUT|POST /v1/transit/encrypt/<key>` `{"plaintext": "<base64>"}` -> `{"data": {"ciphertext": "vault:v1:..."}}`
 * - `PUT|POST /v1/transit/decrypt/<key>` `{"ciphertext": "vault:v1:..."}` -> `{"data": {"plaintext": "<base64>"}}`
 *
 * The client finds the server in VAULT_ADDR (or VAULT_SERVER_URL) and sends VAULT_TOKEN (or VAULT_SERVER_TOKEN) in
 * the `X-Vault-Token` header; a request without this server's token is refused (403, as Vault's "permission denied").
 * Each key name gets a random AES-256-GCM key the first time it encrypts (Vault's transit creates a key on its first
 * encrypt too); the key name is the GCM additional data, so a ciphertext of one key never decrypts under another.
 * Listens on 127.0.0.1 only.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface VaultTransit {
    /** `http://127.0.0.1:<port>`, Vault's VAULT_ADDR. */
    readonly addr: string;
    /** The token this server accepts. */
    readonly token: string;
    /** The environment the CLI needs to reach it: VAULT_ADDR and VAULT_TOKEN. */
    readonly env: { VAULT_ADDR: string; VAULT_TOKEN: string };
    /** Pulumi's secrets provider URL of a transit key of this server: `hashivault://<key>`. */
    secretsProvider(key: string): string;
    /** Requests answered so far, by what they did (`refused`: no or a wrong token). */
    readonly calls: { encrypt: number; decrypt: number; refused: number };
    close(): Promise<void>;
}

/** Vault's ciphertext prefix: key version 1 (this stand-in never rotates). */
const PREFIX = "vault:v1:";
const MAX_BODY = 64 * 1024;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A Buffer as a plain Uint8Array (this tree's @types/node Buffer is no Uint8Array to TypeScript's newer lib types). */
const bytes = (b: ArrayLike<number>): Uint8Array => new Uint8Array(b);

/** The parts one after the other. */
function join(...parts: readonly Uint8Array[]): Uint8Array {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
        out.set(p, at);
        at += p.length;
    }
    return out;
}

const base64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");
const utf8 = (s: string): Uint8Array => bytes(Buffer.from(s, "utf8"));

/** The transit ciphertext of `plaintext` under `key`, bound to `keyName` (pure but for the random IV). */
export function sealTransit(key: Uint8Array, keyName: string, plaintext: Uint8Array): string {
    const iv = bytes(randomBytes(IV_BYTES));
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(utf8(keyName));
    const body = join(bytes(cipher.update(plaintext)), bytes(cipher.final()));
    return PREFIX + base64(join(iv, body, bytes(cipher.getAuthTag())));
}

/** The plaintext of a transit ciphertext, or undefined when it is not one of `key` for `keyName`. */
export function openTransit(key: Uint8Array, keyName: string, ciphertext: string): Uint8Array | undefined {
    const text = ciphertext.startsWith(PREFIX) ? ciphertext.slice(PREFIX.length) : undefined;
    if (text === undefined || !BASE64.test(text)) {
        return undefined;
    }
    const raw = bytes(Buffer.from(text, "base64"));
    if (raw.length < IV_BYTES + TAG_BYTES) {
        return undefined;
    }
    try {
        const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
        decipher.setAAD(utf8(keyName));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        return join(bytes(decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES))), bytes(decipher.final()));
    } catch {
        return undefined; // wrong key, wrong key name, or tampered with
    }
}

/** Same token? Compared in constant time over digests (the lengths may differ). */
function sameToken(given: string, token: string): boolean {
    const digest = (s: string): Uint8Array => bytes(createHash("sha256").update(s, "utf8").digest());
    return timingSafeEqual(digest(given), digest(token));
}

interface Answer {
    status: number;
    body: Record<string, unknown>;
}

const vaultError = (status: number, message: string): Answer => ({ status, body: { errors: [message] } });
const vaultData = (data: Record<string, string>): Answer => ({
    status: 200,
    body: { request_id: randomBytes(16).toString("hex"), lease_id: "", renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null },
});

/** Starts the stand-in on 127.0.0.1 (port 0: any free one). `token` defaults to a random one. */
export async function startVaultTransit(opts: { token?: string; mount?: string } = {}): Promise<VaultTransit> {
    const token = opts.token ?? `mesh-test-${randomBytes(16).toString("hex")}`;
    const mount = opts.mount ?? "transit";
    const keys = new Map<string, Uint8Array>();
    const calls = { encrypt: 0, decrypt: 0, refused: 0 };
    const route = new RegExp(`^/v1/${mount}/(encrypt|decrypt)/([^/?#]+)$`);

    const answer = (method: string, url: string, given: string | undefined, body: string): Answer => {
        if (given === undefined || !sameToken(given, token)) {
            calls.refused++;
            return vaultError(403, "permission denied");
        }
        const m = route.exec(url);
        const op = m?.[1];
        const keyName = m?.[2] !== undefined ? decodeURIComponent(m[2]) : undefined;
        if (op === undefined || keyName === undefined) {
            return vaultError(404, `no handler for route "${url}": this stand-in serves ${mount}/encrypt/<key> and ${mount}/decrypt/<key> only`);
        }
        if (method !== "PUT" && method !== "POST") {
            return vaultError(405, `${method} is not supported on ${url}; use PUT or POST`);
        }
        if (!KEY_NAME.test(keyName)) {
            return vaultError(400, `invalid key name "${keyName}"`);
        }
        let data: Record<string, unknown>;
        try {
            const parsed: unknown = JSON.parse(body);
            if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
            data = parsed as Record<string, unknown>;
        } catch {
            return vaultError(400, "failed to parse JSON input");
        }
        if (op === "encrypt") {
            const plaintext = data["plaintext"];
            if (typeof plaintext !== "string" || !BASE64.test(plaintext)) {
                return vaultError(400, "plaintext must be base64 encoded");
            }
            let key = keys.get(keyName);
            if (key === undefined) {
                key = bytes(randomBytes(32));
                keys.set(keyName, key);
            }
            calls.encrypt++;
            return vaultData({ ciphertext: sealTransit(key, keyName, bytes(Buffer.from(plaintext, "base64"))), key_version: "1" });
        }
        const ciphertext = data["ciphertext"];
        if (typeof ciphertext !== "string") {
            return vaultError(400, "missing ciphertext to decrypt");
        }
        const key = keys.get(keyName);
        if (key === undefined) {
            return vaultError(400, "encryption key not found");
        }
        const plaintext = openTransit(key, keyName, ciphertext);
        if (plaintext === undefined) {
            return vaultError(400, "cipher: message authentication failed");
        }
        calls.decrypt++;
        return vaultData({ plaintext: base64(plaintext) });
    };

    const server = http.createServer((req, res) => {
        const chunks: Uint8Array[] = [];
        let size = 0;
        let tooLarge = false;
        req.on("data", (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY) {
                tooLarge = true;
            } else {
                chunks.push(bytes(c));
            }
        });
        req.on("end", () => {
            const header = req.headers["x-vault-token"];
            const given = Array.isArray(header) ? header[0] : header;
            const a = tooLarge ? vaultError(413, "request body too large") : answer(req.method ?? "", req.url ?? "", given, Buffer.from(join(...chunks)).toString("utf8"));
            res.writeHead(a.status, { "Content-Type": "application/json" });
            res.end(JSON.stringify(a.body));
        });
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    const addr = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        addr,
        token,
        env: { VAULT_ADDR: addr, VAULT_TOKEN: token },
        secretsProvider: (key) => `hashivault://${key}`,
        calls,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
