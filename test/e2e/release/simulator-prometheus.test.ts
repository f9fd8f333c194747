/**
 * The simulator scraped by a real Prometheus (Debian package), queried with the release program's own
 * PromQL builders: the success rate and p95 Prometheus computes are the ones the simulator was told
 * to produce. Fixed weights (no API server). About 10 s: Prometheus 2.x sends its first
 * targets to the scrape manager only after a fixed 5 s tick.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { latencyP95Query, requestCountQuery, successRateQuery } from "../../../release/metrics/promql";
import { startSimulator, type Simulator } from "../../../sim/simulator";
import { startPrometheus, type PrometheusHandle } from "../../support/prometheus";

const service = { name: "sample-app", namespace: "shop" };
const WINDOW_MS = 4000;

describe("simulator scraped by a real Prometheus", function () {
    this.timeout(30_000);
    let sim: Simulator;
    let prom: PrometheusHandle;

    before(async () => {
        sim = await startSimulator({
            service,
            rps: 500,
            seed: 7,
            fixedWeights: { v1: 40, v2: 40, v3: 20 },
            behaviors: {
                v1: { latencyMs: 8 },
                v2: { errorRate: 0.2, latencyMs: 60 },
                v3: { overflowRate: 0.3, latencyMs: 300 },
            },
            maxDurationMs: 60_000,
        });
        prom = await startPrometheus({ targets: [sim.target] });
        // Enough scrapes for a rate over the window: the window plus two scrape intervals.
        await new Promise((r) => setTimeout(r, WINDOW_MS + 1000));
    });

    after(async () => {
        await prom?.stop();
        await sim?.stop();
    });

    const sel = (version: string, reporter: "source" | "destination" = "source") => ({
        reporter,
        service: service.name,
        namespace: service.namespace,
        version,
    });

    it("success rate is the non-5xx share the simulator was told to produce (20% errors -> 80%)", async () => {
        const v2 = await prom.queryScalar(successRateQuery(sel("v2"), WINDOW_MS));
        const v1 = await prom.queryScalar(successRateQuery(sel("v1"), WINDOW_MS));
        expect(v2).to.be.a("number").within(72, 88);
        expect(v1).to.equal(100);
    });

    it("p95 falls in the Istio bucket of the set latency (60 ms -> (50, 100]; 8 ms -> (5, 10])", async () => {
        const v2 = await prom.queryScalar(latencyP95Query(sel("v2"), WINDOW_MS));
        const v1 = await prom.queryScalar(latencyP95Query(sel("v1"), WINDOW_MS));
        expect(v2).to.be.a("number").greaterThan(50).and.at.most(100);
        expect(v1).to.be.a("number").greaterThan(5).and.at.most(10);
    });

    it("client-side overflow 503s show only under reporter=source", async () => {
        const source = await prom.queryScalar(successRateQuery(sel("v3", "source"), WINDOW_MS));
        const destination = await prom.queryScalar(successRateQuery(sel("v3", "destination"), WINDOW_MS));
        expect(destination).to.equal(100);
        expect(source).to.be.a("number").within(60, 80);
    });

    it("request count over the window matches the rate and the weight (500 rps x 40% x 4 s = 800)", async () => {
        const count = await prom.queryScalar(requestCountQuery(sel("v2"), WINDOW_MS));
        // increase() extrapolates over the window; scrapes are 1 s apart, so allow one scrape of slack.
        expect(count).to.be.a("number").within(600, 1000);
        const served = sim.stats().versions["v2"]?.served ?? 0;
        expect(served).to.be.greaterThan(count ?? 0);
    });

    it("a version with no traffic has no data (empty result -> null), not a pass", async () => {
        expect(await prom.queryScalar(successRateQuery(sel("v9"), WINDOW_MS))).to.equal(null);
    });

    it("stop() leaves no Prometheus process and no data directory", async () => {
        const { pid, dataDir } = prom;
        await prom.stop();
        expect(prom.running()).to.equal(false);
        expect(() => process.kill(pid, 0)).to.throw(/ESRCH/);
        expect(fs.existsSync(path.dirname(dataDir))).to.equal(false);
    });
});
