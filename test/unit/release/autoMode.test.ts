/**
 * The default release policy since issue 21 (README: Sequential analysis, "The default"): steps 2,10,25,50,75,100
 * and `release.analysis.mode: auto`, whose starved threshold tests pass on their point estimate (pure tables over
 * judgeStep; the orchestrator's sequential path is rollout.sequential.test.ts's).
 */
import { expect } from "chai";
import { releaseSchema } from "../../../contract/release";
import { sequentialLooks } from "../../../release/rollout/analyze";
import type { StepCounts } from "../../../release/sequential/counts";
import { describeDecision } from "../../../release/sequential/describe";
import { evidenceTrials, judgeStep, starved, type SequentialPolicy } from "../../../release/sequential/judge";

const STRICT: SequentialPolicy = { alpha: 0.05, steps: 6, successRate: 95, latencyP95Ms: 1000, minRequests: 10 };
const AUTO: SequentialPolicy = { ...STRICT, pointEstimateWhenStarved: true };
const counts = (requests: number, errors: number, slow: number, stable: Partial<StepCounts["stable"]> = {}): StepCounts => ({
    canary: { requests, errors, timed: requests, slowCertain: slow, slowPossible: slow },
    stable: { requests: 0, errors: 0, timed: 0, slowCertain: 0, slowPossible: 0, ...stable },
});

describe("the default release policy (auto mode, a 2 % first step)", () => {
    it("an unchanged config gets steps 2,10,25,50,75,100 and mode auto; mode fixed and the old steps stay valid", () => {
        const r = releaseSchema.parse({});
        expect(r.steps).to.deep.equal([2, 10, 25, 50, 75, 100]);
        expect(r.analysis.mode).to.equal("auto");
        expect(releaseSchema.parse({ steps: [10, 25, 50, 75, 100], analysis: { mode: "fixed" } }).analysis.mode).to.equal("fixed");
    });

    it("starved: fewer requests than evidence needs for a canary at a quarter of the limit (174 at 5 %, alpha 0.05)", () => {
        expect(evidenceTrials(0.05, 0.05)).to.equal(174);
        expect(starved(173, 0.05, 0.05)).to.equal(true);
        expect(starved(174, 0.05, 0.05)).to.equal(false);
        expect(starved(12, 0.05, 0.05)).to.equal(true);
    });

    // [what, counts, weight, strict decision, auto decision]
    const table: [string, StepCounts, number, string, string][] = [
        ["2 % step at 100 req/s scaled: 12 requests, none bad", counts(12, 0, 0, { requests: 588 }), 2, "inconclusive", "pass"],
        ["2 % step, 120 requests, 1 error and 1 slow (point estimates inside)", counts(120, 1, 1, { requests: 5880, errors: 20 }), 2, "inconclusive", "pass"],
        ["starved, point estimate above the limit (7 errors in 120): Inconclusive, never a rollback", counts(120, 7, 0, { requests: 5880, errors: 300 }), 2, "inconclusive", "inconclusive"],
        ["too few requests (6 < minRequests 10): Inconclusive in both", counts(6, 0, 0, { requests: 294 }), 2, "inconclusive", "inconclusive"],
        ["not starved (300 requests) and no evidence (4 % errors): Inconclusive in both", counts(300, 12, 0, { requests: 2700, errors: 108 }), 10, "inconclusive", "inconclusive"],
        ["not starved, evidence (600 requests, 1 error): pass in both", counts(600, 1, 1, { requests: 5400, errors: 9 }), 10, "pass", "pass"],
        ["2 % step, the canary serves 4 of 4 5xx: certain failure in both", counts(12, 4, 0, { requests: 588 }), 2, "fail", "fail"],
    ];
    for (const [what, c, weight, strict, auto] of table) {
        it(`${what}: sequential ${strict}, auto ${auto}`, () => {
            expect(judgeStep(c, STRICT, weight, true).decision.kind).to.equal(strict);
            expect(judgeStep(c, AUTO, weight, true).decision.kind).to.equal(auto);
        });
    }

    it("before the window's end auto only stops on certain failure (no early pass)", () => {
        expect(judgeStep(counts(12, 0, 0, { requests: 588 }), AUTO, 2, false).decision.kind).to.equal("continue");
    });

    it("says that a pass came from point estimates", () => {
        const look = judgeStep(counts(12, 0, 0, { requests: 588 }), AUTO, 2, true);
        const text = describeDecision(look, 1000, 10, 12);
        expect(text).to.match(/^passed \(starved tests on their point estimate\): errors-vs-threshold: canary error rate 0\.0 % of 12 requests: within the limit 5\.0 % by its point estimate/);
    });

    it("auto looks at every scrape only when the window holds a scrape interval; sequential always, fixed never", () => {
        expect(sequentialLooks({ mode: "auto", lookIntervalMs: 15_000 }, 60_000)).to.equal(true);
        expect(sequentialLooks({ mode: "auto", lookIntervalMs: 15_000 }, 2_000)).to.equal(false);
        expect(sequentialLooks({ mode: "sequential", lookIntervalMs: 15_000 }, 60_000)).to.equal(true);
        expect(sequentialLooks({ mode: "fixed", lookIntervalMs: 1_000 }, 60_000)).to.equal(false);
    });
});
