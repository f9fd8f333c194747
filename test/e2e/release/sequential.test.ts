/**
 * The sequential analysis end to end (`release.analysis.mode: sequential`): the release library with the real
 * Pulumi engine, the simulator following the live VirtualService, and a real Prometheus scraping it every
 * second, read series by series at every scrape. A healthy v2 passes each step only at the end of its window,
 * with evidence; v3 at 20 % errors is stopped within its first step, seconds in, and rolled back.
 * (The fixed-window path, the default, runs in release.test.ts.)
 */
import { expect } from "chai";
import type { ReleaseEvent } from "../../../release/core/events";
import { e2eRelease, keepReport, shiftToRollbackMs, startReleaseEnv, type ReleaseEnv, type Run } from "./harness";

const WINDOW_MS = 15_000;
type Look = Extract<ReleaseEvent, { type: "analysis-look" }>;
const looks = (events: readonly ReleaseEvent[]): Look[] => events.filter((e): e is Look => e.type === "analysis-look");
const describeRun = (run: Run): string =>
    `${run.result.outcome}: ${run.result.message}\n` + looks(run.events).map((l) => `  step ${l.stepIndex} ${l.elapsedMs} ms ${l.decision}: ${l.reason}`).join("\n");

describe("sequential analysis end to end (real engine, simulator, real Prometheus scraping every 1 s)", function () {
    this.timeout(600_000);
    let env: ReleaseEnv;

    before(async function () {
        this.timeout(300_000);
        const base = e2eRelease([10, 100], `${WINDOW_MS / 1000}s`);
        env = await startReleaseEnv({
            rps: 200,
            namespacePrefix: "mesh-seq",
            scrapeIntervalMs: 1000,
            release: (url) => {
                const r = base(url);
                return {
                    ...r,
                    analysis: { ...(r["analysis"] as Record<string, unknown>), mode: "sequential", alpha: 0.05 },
                    prometheus: { ...(r["prometheus"] as Record<string, unknown>), scrapeInterval: "1s" },
                };
            },
        });
    });

    after(async () => {
        await env?.dispose();
    });

    it("a healthy v2 passes each step at the end of its window with evidence, and is promoted", async () => {
        const run = await env.canary("v2");
        keepReport("sequential-v2-promoted", run.events);
        expect(run.result.outcome, describeRun(run)).to.equal("promoted");
        const passes = looks(run.events).filter((l) => l.decision === "pass");
        expect(passes.map((l) => l.stepIndex)).to.deep.equal([0, 1]);
        for (const p of passes) {
            expect(p.elapsedMs, "a pass waits for the whole window").to.be.at.least(WINDOW_MS);
            expect(p.reason).to.match(/^passed with evidence: errors-vs-threshold: canary error rate 0\.0 % of \d+ requests: at most/);
        }
        // Looks came at about the scrape interval: many per window.
        expect(looks(run.events).filter((l) => l.stepIndex === 0).length).to.be.at.least(8);
    });

    it("v3 at 20 % errors is stopped early within its first step (certain failure) and rolled back", async () => {
        env.sim.control({ v3: { errorRate: 0.2 } });
        const run = await env.canary("v3");
        keepReport("sequential-v3-stopped-early", run.events);
        expect(run.result.outcome, describeRun(run)).to.equal("rolled-back");
        const fail = looks(run.events).find((l) => l.decision === "fail");
        expect(fail, describeRun(run)).to.not.equal(undefined);
        expect(fail?.stepIndex).to.equal(0);
        expect(fail?.elapsedMs, "stopped before the window's end").to.be.below(WINDOW_MS);
        expect(fail?.reason).to.match(/^stopped early, certain failure: /);
        expect(fail?.tests.some((t) => t.crossed && (t.name === "errors-vs-threshold" || t.name === "errors-vs-stable"))).to.equal(true);
        const ms = shiftToRollbackMs(run.events);
        console.log(`      v3 stopped after ${fail?.elapsedMs} ms of a ${WINDOW_MS} ms window, ${fail?.canaryRequests} canary requests; shift to rollback ${ms} ms`);
        // The canary gets no more traffic after the rollback (the simulator polls the VirtualService every 250 ms).
        await new Promise((r) => setTimeout(r, 600));
        const served = env.sim.stats().versions["v3"]?.served ?? 0;
        await new Promise((r) => setTimeout(r, 1000));
        expect(env.sim.stats().versions["v3"]?.served, "v3 still gets traffic after the rollback").to.equal(served);
    });
});
