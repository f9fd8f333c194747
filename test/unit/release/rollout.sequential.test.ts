/**
 * The orchestrator in sequential mode (`release.analysis.mode: sequential`) with the in-memory driver, a
 * fake clock and fake raw counters: an early stop within a step, a pass with evidence, Inconclusive at low
 * traffic, a failed scrape mid-step. What these do not prove: a real Prometheus (the e2e suite does).
 */
import { expect } from "chai";
import { baselineDelayMs } from "../../../release/metrics/sequential";
import { runCanary } from "../../../release/rollout";
import { collectReport } from "../../../release/report/collect";
import { renderReportHtml } from "../../../release/report/render";
import { emptyView, eventLines, liveBlock, reduceView } from "../../../release/reporters/terminal";
import { HEALTHY, SVC, harness, ofType, stackConfig } from "./fakes";

/** Sequential policy: 60 s windows, a look every 5 s, 3 steps. */
const config = (analysis: Record<string, unknown> = {}): Record<string, unknown> =>
    stackConfig({ interval: "60s", prometheus: { scrapeInterval: "5s" }, analysis: { mode: "sequential", ...analysis } });

const STABLE = { ...HEALTHY, perScrape: { requests: 450, errors: 9, slow: 0 } };
/** 20 % errors at a tenth of the traffic. */
const BAD = { ...HEALTHY, perScrape: { requests: 20, errors: 4, slow: 0 } };

describe("release/rollout: sequential analysis", () => {
    it("a canary at 20 % errors is stopped within its first step, seconds in, and rolled back", async () => {
        const h = harness({ config: config(), versions: { v1: STABLE, v2: BAD } });
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("rolled-back");
        const looks = ofType(h.events, "analysis-look");
        const last = looks[looks.length - 1];
        expect(last?.decision).to.equal("fail");
        expect(last?.stepIndex).to.equal(0);
        expect(last?.elapsedMs).to.be.below(60_000); // before the window's end
        expect(last?.elapsedMs).to.equal(15_000); // the third look
        expect(looks.map((l) => l.decision)).to.deep.equal(["continue", "continue", "fail"]);
        expect(last?.reason).to.match(/^stopped early, certain failure: errors-vs-threshold: canary error rate 20\.0 % of \d+ requests: above the limit 5\.0 %/);
        const analysis = ofType(h.events, "analysis")[0];
        expect(analysis?.verdict).to.equal("Failed");
        expect(analysis?.metrics.find((m) => m.name === "errors-vs-threshold")).to.deep.include({ verdict: "Failed", value: 20, max: 5 });
        expect(analysis?.metrics.find((m) => m.name === "errors-vs-stable")).to.deep.include({ verdict: "Successful", target: "comparison" });
        expect(ofType(h.events, "rollback-started")[0]?.reason).to.contain("certain failure");
        // The step waited one scrape interval and a quarter for a scrape taken after it began (its baseline), then the
        // looks slept one scrape interval each; no full window was waited.
        expect(h.clock.sleeps[0]).to.equal(baselineDelayMs(5000));
        expect(baselineDelayMs(5000)).to.equal(6250);
        expect(h.clock.sleeps.slice(1).every((ms) => ms <= 5000), String(h.clock.sleeps)).to.equal(true);
    });

    it("a healthy canary with traffic passes each step only after the full window, with evidence, and is promoted", async () => {
        const h = harness({ config: config(), versions: { v1: STABLE, v2: { ...HEALTHY, perScrape: { requests: 50, errors: 0, slow: 0 } } } });
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome, r.message).to.equal("promoted");
        const analyses = ofType(h.events, "analysis");
        expect(analyses.map((a) => a.verdict)).to.deep.equal(["Successful", "Successful", "Successful"]);
        const passLooks = ofType(h.events, "analysis-look").filter((l) => l.decision === "pass");
        expect(passLooks.map((l) => l.elapsedMs)).to.deep.equal([60_000, 60_000, 60_000]);
        expect(passLooks[0]?.reason).to.match(/^passed with evidence: errors-vs-threshold: canary error rate 0\.0 % of 600 requests: at most \d\.\d+ % with 95\.00 % confidence, within the limit 5\.0 %/);
    });

    it("one error in 25 requests (the demo's lucky pass) is Inconclusive, never a pass, and rolls back after the limit", async () => {
        const h = harness({ config: config({ inconclusiveLimit: 1 }), versions: { v1: STABLE, v2: { ...HEALTHY, perScrape: { requests: 2, errors: 0, slow: 0 } } } });
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("rolled-back");
        const analyses = ofType(h.events, "analysis");
        expect(analyses.map((a) => a.verdict)).to.deep.equal(["Inconclusive", "Inconclusive"]);
        expect(analyses[0]?.metrics.find((m) => m.name === "errors-vs-threshold")?.verdict).to.equal("Inconclusive");
        // The second analysis of the step went on from the same baseline: it saw the first window's requests too.
        const ends = ofType(h.events, "analysis-look").filter((l) => l.decision === "inconclusive");
        expect(ends.map((l) => l.canaryRequests)).to.deep.equal([24, 48]);
        expect(r.message).to.contain("without evidence that the canary is within its thresholds");
    });

    it("a failed scrape mid-step is skipped and the next one carries its counts; a failed baseline is retried", async () => {
        const h = harness({ config: config(), versions: { v1: STABLE, v2: { ...HEALTHY, perScrape: { requests: 50, errors: 0, slow: 0 } } } });
        h.metrics.failScrapes = new Set([1, 4]); // the first (baseline) and the fourth scrape of every query fail
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome, r.message).to.equal("promoted");
        const errors = ofType(h.events, "analysis-look").filter((l) => l.decision === "error");
        expect(errors.map((l) => l.reason.split(":")[0])).to.deep.equal(["baseline scrape failed", "scrape failed (skipped; the next one carries its counts)"]);
        const firstPass = ofType(h.events, "analysis-look").find((l) => l.decision === "pass");
        expect(firstPass?.canaryRequests).to.equal(600); // 12 scrapes after the baseline, none lost
    });

    it("Prometheus down for a whole window: Error, then rollback at the error limit", async () => {
        const h = harness({ config: config({ errorLimit: 0 }), versions: { v1: STABLE, v2: STABLE } });
        h.metrics.down = true;
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("rolled-back");
        expect(ofType(h.events, "analysis")[0]?.verdict).to.equal("Error");
        expect(r.message).to.contain("no baseline of the step's counters: connection refused");
    });

    it("the terminal shows each test's evidence against its bound live, and why the step stopped", async () => {
        const h = harness({ config: config(), versions: { v1: STABLE, v2: BAD } });
        await runCanary({ service: SVC, version: "v2" }, h.deps);
        let view = emptyView();
        const lines: string[] = [];
        let block: string[] = [];
        for (const e of h.events) {
            lines.push(...eventLines(e, view));
            view = reduceView(view, e);
            if (e.type === "analysis-look" && e.decision === "continue") {
                block = liveBlock(view, new Date(e.at));
            }
        }
        expect(block.join("\n")).to.match(/sequential tests after 10s of 1m00s, 40 canary requests \(evidence against its bound; the step stops when a bar is full\):\n {5}\[#*-*\] errors-vs-threshold: canary error rate 20\.0 % of 40 requests/);
        expect(lines.some((l) => /look at \d+s\/1m00s, \d+ canary requests: fail: stopped early, certain failure: errors-vs-threshold/.test(l))).to.equal(true);
    });

    it("the HTML report shows the evidence per test over time against its bound, and the decision in words", async () => {
        const h = harness({ config: config(), versions: { v1: STABLE, v2: BAD } });
        await runCanary({ service: SVC, version: "v2" }, h.deps);
        const report = collectReport(h.events);
        expect(report?.looks?.length).to.be.greaterThan(1);
        const html = renderReportHtml(report!);
        expect(html).to.contain("<h2>Sequential analysis</h2>");
        expect(html).to.contain('data-panel="Evidence: canary error rate above the threshold"');
        expect(html).to.contain("stopped: certain failure");
        expect(html).to.match(/<circle class="verdict"[^>]*fill="#c62828"/); // the crossing
        expect(html).to.contain("bound: 1 in 240 false alarm"); // alpha 0.05 over 4 tests x 3 steps
    });

    it("fixed mode (an unchanged config) takes no look and asks for no raw series", async () => {
        const h = harness({ versions: { v1: STABLE, v2: BAD } });
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("promoted"); // HEALTHY's point estimates; the raw counters are not read
        expect(ofType(h.events, "analysis-look")).to.have.length(0);
        expect(h.metrics.queries.some((q) => q.startsWith("istio_requests_total"))).to.equal(false);
    });
});
