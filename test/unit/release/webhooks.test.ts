/** Webhooks (release/webhooks/webhooks.ts) against an in-process HTTP server: retries, timeouts, refusals, redaction. */
import { expect } from "chai";
import { callWebhook, isGate, retryableStatus, type WebhookPayload, type WebhookSpec } from "../../../release/webhooks/webhooks";
import { startServer, type TestServer } from "./http";

const payload: WebhookPayload = { type: "pre-step", stack: "dev", service: "sample-app", version: "v2", phase: "Progressing", stepIndex: 0, weight: 10, message: "", at: "2026-01-01T00:00:00.000Z" };
const noSleep = (): Promise<void> => Promise.resolve();

describe("release/webhooks", () => {
    let server: TestServer | undefined;
    afterEach(async () => {
        await server?.close();
        server = undefined;
    });
    const spec = (url: string, patch: Partial<WebhookSpec> = {}): WebhookSpec => ({ name: "gate", type: "pre-step", url, timeoutMs: 500, retries: 2, ...patch });

    it("POSTs the JSON payload and passes on 2xx", async () => {
        server = await startServer(() => ({ status: 204 }));
        const r = await callWebhook(spec(`${server.url}/hook`), payload, { sleep: noSleep });
        expect(r).to.deep.equal({ ok: true, attempts: 1, status: 204 });
        expect(server.requests[0]).to.deep.include({ method: "POST", url: "/hook" });
        expect(JSON.parse(server.requests[0]?.body ?? "")).to.deep.equal(payload);
        expect(server.requests[0]?.headers["content-type"]).to.equal("application/json");
    });

    it("retries 5xx with doubling backoff and passes when it recovers", async () => {
        server = await startServer((_, n) => ({ status: n < 2 ? 503 : 200 }));
        const waits: number[] = [];
        const r = await callWebhook(spec(server.url), payload, { backoffMs: 100, sleep: (ms) => (waits.push(ms), Promise.resolve()) });
        expect(r).to.deep.equal({ ok: true, attempts: 3, status: 200 });
        expect(waits).to.deep.equal([100, 200]);
    });

    it("gives up after the retries with the last status", async () => {
        server = await startServer(() => ({ status: 500 }));
        const r = await callWebhook(spec(server.url, { retries: 1 }), payload, { sleep: noSleep });
        expect(r).to.deep.equal({ ok: false, attempts: 2, status: 500, error: "HTTP 500" });
    });

    it("a 4xx is a deliberate no: not retried", async () => {
        server = await startServer(() => ({ status: 403 }));
        const r = await callWebhook(spec(server.url), payload, { sleep: noSleep });
        expect(r).to.deep.equal({ ok: false, attempts: 1, status: 403, error: "HTTP 403" });
        expect(server.requests).to.have.length(1);
    });

    it("times out a hanging hook per attempt and retries", async () => {
        server = await startServer(() => "hang");
        const started = Date.now();
        const r = await callWebhook(spec(server.url, { timeoutMs: 50, retries: 1 }), payload, { sleep: noSleep });
        expect(r).to.deep.equal({ ok: false, attempts: 2, error: "timed out after 50 ms" });
        expect(Date.now() - started).to.be.lessThan(2000);
    });

    it("a dropped connection is retried; a token in the URL never appears in the error", async () => {
        server = await startServer(() => "destroy");
        const r = await callWebhook(spec(`${server.url}/hook?token=s3cr3t-hook-token`, { retries: 1 }), payload, { sleep: noSleep });
        expect(r.ok).to.equal(false);
        expect(r.attempts).to.equal(2);
        expect(JSON.stringify(r)).to.not.include("s3cr3t-hook-token");
    });

    it("an aborted signal stops the retries", async () => {
        server = await startServer(() => ({ status: 503 }));
        const ac = new AbortController();
        const r = await callWebhook(spec(server.url, { retries: 5 }), payload, { signal: ac.signal, sleep: () => (ac.abort(), Promise.resolve()) });
        expect(r).to.deep.include({ ok: false, attempts: 1, error: "cancelled" });
    });

    it("classifies gates and retryable statuses", () => {
        expect(["pre-rollout", "pre-step", "confirm-promotion", "post-rollout", "rollback"].map((t) => isGate(t as WebhookSpec["type"]))).to.deep.equal([true, true, true, false, false]);
        expect([200, 400, 404, 408, 429, 500, 503].map(retryableStatus)).to.deep.equal([false, false, false, true, true, true, true]);
    });
});
