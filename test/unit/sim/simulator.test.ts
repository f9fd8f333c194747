/**
 * The simulator's HTTP surface on loopback, with fixed weights or a fake mesh reader (no API server).
 * The real API server and a real Prometheus are in test/e2e/release.
 */
import { expect } from "chai";
import type { MeshObjects, MeshReader } from "../../../sim/kube";
import { pollErrorText, startSimulator, validateSimulatorOptions, type Simulator, type SimulatorStats } from "../../../sim/simulator";

const service = { name: "sample-app", namespace: "shop" };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function mesh(stable: number, canary: number): MeshObjects {
    return {
        virtualServices: [
            {
                metadata: { name: "sample-app", namespace: "shop" },
                spec: {
                    hosts: ["sample-app"],
                    http: [
                        {
                            route: [
                                { destination: { host: "sample-app", subset: "stable" }, weight: stable },
                                { destination: { host: "sample-app", subset: "canary" }, weight: canary },
                            ],
                        },
                    ],
                },
            },
        ],
        destinationRules: [
            {
                metadata: { name: "sample-app", namespace: "shop" },
                spec: {
                    host: "sample-app",
                    subsets: [
                        { name: "stable", labels: { version: "v1" } },
                        { name: "canary", labels: { version: "v2" } },
                    ],
                },
            },
        ],
    };
}

async function json(res: Response): Promise<unknown> {
    return (await res.json()) as unknown;
}

describe("sim/simulator", () => {
    let sim: Simulator | undefined;
    afterEach(async () => {
        await sim?.stop();
        sim = undefined;
    });

    describe("validateSimulatorOptions", () => {
        it("collects every problem, each naming value, rule and fix", () => {
            const problems = validateSimulatorOptions({
                service,
                host: "0.0.0.0",
                rps: -1,
                port: 70000,
                fixedWeights: { v1: -5 },
                behaviors: { v2: { errorRate: 2 } },
            });
            expect(problems).to.deep.equal([
                "host is 0.0.0.0; it must be a loopback address (127.0.0.0/8, ::1 or localhost)",
                "rps is -1; it must be a number greater than 0 and at most 100000",
                "port is 70000; it must be an integer from 0 to 65535 (0 picks a free port)",
                'invalid fixed weights: weight of v1 is -5; it must be a number >= 0; weights {"v1":-5} have no positive weight; give at least one version a weight > 0',
                "behaviors.v2.errorRate: Too big: expected number to be <=1",
            ]);
        });

        it("needs exactly one of fixed weights, a mesh reader and istiod (xds)", () => {
            const reader: MeshReader = () => Promise.resolve(mesh(100, 0));
            const both = validateSimulatorOptions({ service, fixedWeights: { v1: 1 }, meshReader: reader });
            const xdsAndFixed = validateSimulatorOptions({ service, fixedWeights: { v1: 1 }, xds: { address: "127.0.0.1:15010", port: 8080 } });
            const none = validateSimulatorOptions({ service });
            const want = ["exactly one of fixedWeights, meshReader and xds must be given (fixed weights, the live API server, or istiod)"];
            expect(both).to.deep.equal(want);
            expect(xdsAndFixed).to.deep.equal(want);
            expect(none).to.deep.equal(want);
            expect(validateSimulatorOptions({ service, xds: { address: "istiod", port: 8080 } })).to.deep.equal([
                'xds.address is "istiod"; it must be host:port of istiod\'s plaintext xDS port',
            ]);
        });

        it("startSimulator refuses a non-loopback address before listening", async () => {
            let err: Error | undefined;
            await startSimulator({ service, fixedWeights: { v1: 1 }, host: "0.0.0.0" }).catch((e: Error) => (err = e));
            expect(err?.message).to.equal(
                "invalid simulator options:\n- host is 0.0.0.0; it must be a loopback address (127.0.0.0/8, ::1 or localhost)",
            );
        });
    });

    it("pollErrorText keeps tokens out of /stats (the one Redactor, credential shapes on), causes included", () => {
        const msg = pollErrorText(new Error("401 Unauthorized: Authorization: Bearer abc.def-SECRET token=s3cr3t"));
        expect(msg).to.not.include("SECRET");
        expect(msg).to.not.include("s3cr3t");
        expect(msg).to.equal("Error: 401 Unauthorized: Authorization: Bearer [secret] token=[secret]");
        expect(pollErrorText("password: hunter2, basic dXNlcjpwYXNz")).to.equal("password: [secret], basic [secret]");
        const withCause = pollErrorText(new TypeError("fetch failed", { cause: new Error("proxy said: token=s3cr3t") }));
        expect(withCause).to.equal("TypeError: fetch failed; cause: proxy said: token=[secret]");
        expect(pollErrorText(new Error(`${"x".repeat(400)} token=s3cr3t`)), "cut to 300 characters after redaction").to.have.length(300);
    });

    it("serves metrics, stats and the control endpoint on 127.0.0.1 in fixed mode", async () => {
        sim = await startSimulator({ service, rps: 2000, seed: 3, fixedWeights: { v1: 50, v2: 50 }, tickMs: 10 });
        expect(sim.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(sim.target).to.equal(sim.url.slice("http://".length));

        const bad = await fetch(`${sim.url}/control`, { method: "POST", body: JSON.stringify({ v2: { errorRate: 5, nope: 1 } }) });
        expect(bad.status).to.equal(400);
        const badBody = (await json(bad)) as { error: string };
        expect(badBody.error).to.include("body.v2.errorRate");
        expect(badBody.error).to.include("nope");

        const ok = await fetch(`${sim.url}/control`, { method: "POST", body: JSON.stringify({ v2: { errorRate: 1, errorCode: 503 } }) });
        expect(ok.status).to.equal(200);
        await sleep(200);

        const metrics = await fetch(`${sim.url}/metrics`);
        expect(metrics.headers.get("content-type")).to.include("text/plain; version=0.0.4");
        const text = await metrics.text();
        expect(text).to.include('destination_version="v2"');
        expect(text).to.include('response_code="503"');

        const stats = (await json(await fetch(`${sim.url}/stats`))) as SimulatorStats;
        expect(stats.mode).to.equal("fixed");
        expect(stats.requests).to.be.greaterThan(100);
        expect(stats.versions["v2"]?.errors).to.be.greaterThan(0);
        expect(stats.behaviors["v2"]?.errorCode).to.equal(503);

        const weights = await fetch(`${sim.url}/weights`, { method: "POST", body: JSON.stringify({ v1: 100 }) });
        expect(weights.status).to.equal(200);
        const before = sim.stats().versions["v2"]?.served ?? 0;
        await sleep(200);
        expect(sim.stats().versions["v2"]?.served).to.equal(before);

        expect((await fetch(`${sim.url}/nope`)).status).to.equal(404);
    });

    it("follows the live VirtualService weights and keeps the last plan when the API server fails", async () => {
        let current: MeshObjects | Error = mesh(100, 0);
        const reader: MeshReader = () => (current instanceof Error ? Promise.reject(current) : Promise.resolve(current));
        sim = await startSimulator({ service, rps: 2000, meshReader: reader, pollIntervalMs: 20, tickMs: 10 });
        await sleep(150);
        expect(sim.stats().versions["v2"]).to.equal(undefined);

        current = mesh(0, 100);
        await sleep(100);
        const served = sim.stats().versions["v2"]?.served ?? 0;
        expect(served).to.be.greaterThan(0);

        current = new Error("connect ECONNREFUSED", { cause: new Error("Authorization: Bearer top-secret") });
        await sleep(100);
        const stats = sim.stats();
        expect(stats.routing.pollErrors).to.be.greaterThan(0);
        expect(stats.routing.lastPollError).to.not.include("top-secret");
        expect(stats.routing.lastPollError, "the cause is shown, redacted").to.equal("Error: connect ECONNREFUSED; cause: Authorization: Bearer [secret]");
        expect(stats.versions["v2"]?.served).to.be.greaterThan(served);
        expect(stats.routing.source).to.equal("VirtualService sample-app");

        const conflict = await fetch(`${sim.url}/weights`, { method: "POST", body: JSON.stringify({ v1: 1 }) });
        expect(conflict.status).to.equal(409);
    });

    it("stops by itself after maxDurationMs and on POST /stop", async () => {
        sim = await startSimulator({ service, fixedWeights: { v1: 1 }, maxDurationMs: 50 });
        expect(await sim.stopped).to.equal("max duration reached");
        await sim.stop();

        sim = await startSimulator({ service, fixedWeights: { v1: 1 } });
        const res = await fetch(`${sim.url}/stop`, { method: "POST" });
        expect(res.status).to.equal(200);
        expect(await sim.stopped).to.equal("stopped by POST /stop");
        let refused = false;
        await fetch(`${sim.url}/healthz`).catch(() => (refused = true));
        expect(refused).to.equal(true);
    });
});
