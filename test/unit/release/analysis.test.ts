/** Table tests of the verdict rules (release/core/analysis.ts). */
import { expect } from "chai";
import { assessAnalysis, assessMetric, compareWithStable, worstVerdict, type AnalysisMeasurements, type AnalysisThresholds } from "../../../release/core/analysis";
import type { Verdict } from "../../../release/core/events";

const t: AnalysisThresholds = { successRate: 95, latencyP95Ms: 1000, minRequests: 10, custom: [] };
const healthy: AnalysisMeasurements = {
    canaryRequests: { value: 500 },
    canarySuccessRate: { value: 99.5 },
    canaryLatencyP95: { value: 120 },
    custom: {},
};

describe("release/core/analysis", () => {
    describe("assessMetric", () => {
        const table: [string, Parameters<typeof assessMetric>[3], { min?: number; max?: number }, Verdict, string][] = [
            ["above min", { value: 99 }, { min: 95 }, "Successful", "99 >= 95"],
            ["equal to min passes", { value: 95 }, { min: 95 }, "Successful", "95 >= 95"],
            ["below min", { value: 80 }, { min: 95 }, "Failed", "80 < 95"],
            ["above max", { value: 1500.456 }, { max: 1000 }, "Failed", "1500.46 > 1000"],
            ["within both", { value: 5 }, { min: 1, max: 10 }, "Successful", "5 >= 1, 5 <= 10"],
            ["no data is Inconclusive, never a pass", { value: null }, { min: 95 }, "Inconclusive", "no data"],
            ["NaN is Inconclusive", { value: NaN }, { max: 1 }, "Inconclusive", "no data"],
            ["query error is Error", { error: "timed out" }, { min: 1 }, "Error", "timed out"],
            ["no bounds", { value: 3 }, {}, "Successful", "3 (no bound)"],
        ];
        for (const [name, m, bounds, verdict, reason] of table) {
            it(name, () => {
                const r = assessMetric("x", "canary", "number", m, bounds);
                expect(r.verdict).to.equal(verdict);
                expect(r.reason).to.equal(reason);
            });
        }
    });

    describe("worstVerdict", () => {
        const table: [Verdict[], Verdict][] = [
            [[], "Successful"],
            [["Successful", "Inconclusive"], "Inconclusive"],
            [["Inconclusive", "Error"], "Error"],
            [["Error", "Failed", "Successful"], "Failed"],
        ];
        for (const [vs, want] of table) {
            it(`${vs.join(",") || "(none)"} -> ${want}`, () => expect(worstVerdict(vs)).to.equal(want));
        }
    });

    describe("assessAnalysis", () => {
        const table: [string, Partial<AnalysisMeasurements>, Partial<AnalysisThresholds>, number, Verdict, string][] = [
            ["healthy canary", {}, {}, 10, "Successful", "request-success-rate 99.5 >= 95; latency-p95 120 <= 1000"],
            ["20% errors fails", { canarySuccessRate: { value: 80 } }, {}, 10, "Failed", "request-success-rate 80 < 95"],
            ["slow canary fails", { canaryLatencyP95: { value: 2400 } }, {}, 10, "Failed", "latency-p95 2400 > 1000"],
            ["too few requests is Inconclusive even with good rates", { canaryRequests: { value: 3 } }, {}, 10, "Inconclusive", "too few canary requests in the window: 3 requests, need 10"],
            ["no requests at all is Inconclusive", { canaryRequests: { value: null } }, {}, 10, "Inconclusive", "too few canary requests in the window: no requests recorded, need 10"],
            ["too few requests beats a bad rate (nothing decided on 3 requests)", { canaryRequests: { value: 3 }, canarySuccessRate: { value: 0 } }, {}, 10, "Inconclusive", "too few canary requests in the window: 3 requests, need 10"],
            ["request-count query failing is Error", { canaryRequests: { error: "connection refused" } }, {}, 10, "Error", "request count query failed: connection refused"],
            ["an empty latency result is Inconclusive", { canaryLatencyP95: { value: null } }, {}, 10, "Inconclusive", "latency-p95 no data"],
            ["Failed beats Error", { canarySuccessRate: { value: 50 }, canaryLatencyP95: { error: "e" } }, {}, 10, "Failed", "request-success-rate 50 < 95"],
            ["comparison: canary 3 pp worse than stable fails with margin 1", { canarySuccessRate: { value: 96 }, stableSuccessRate: { value: 99 } }, { maxErrorRateIncrease: 1 }, 10, "Failed", "stable-error-rate-delta 3 > 1"],
            ["comparison: within the margin passes", { canarySuccessRate: { value: 98.5 }, stableSuccessRate: { value: 99 } }, { maxErrorRateIncrease: 1 }, 10, "Successful", "request-success-rate 98.5 >= 95; latency-p95 120 <= 1000; stable-error-rate-delta 0.5 <= 1"],
            ["comparison: stable without data is Inconclusive", { stableSuccessRate: { value: null } }, { maxErrorRateIncrease: 1 }, 10, "Inconclusive", "stable-error-rate-delta no data"],
            ["comparison skipped at weight 100 (stable gets no traffic)", { stableSuccessRate: { value: null } }, { maxErrorRateIncrease: 1 }, 100, "Successful", "request-success-rate 99.5 >= 95; latency-p95 120 <= 1000"],
            ["custom metric out of bounds fails", { custom: { "error-budget": { value: 0.9 } } }, { custom: [{ name: "error-budget", max: 0.5 }] }, 10, "Failed", "error-budget 0.9 > 0.5"],
            ["custom metric without a measurement is Inconclusive", {}, { custom: [{ name: "queue", min: 1 }] }, 10, "Inconclusive", "queue no data"],
        ];
        for (const [name, m, th, weight, verdict, reason] of table) {
            it(name, () => {
                const r = assessAnalysis({ ...healthy, ...m }, { ...t, ...th }, weight);
                expect(r.verdict).to.equal(verdict);
                expect(r.reason).to.equal(reason);
            });
        }

        it("shows stable's values but never judges them (a bad stable does not roll the canary back)", () => {
            const r = assessAnalysis({ ...healthy, stableSuccessRate: { value: 10 }, stableLatencyP95: { value: 9000 }, stableRequests: { value: 1 } }, t, 10);
            expect(r.verdict).to.equal("Successful");
            const stable = r.metrics.filter((x) => x.target === "stable");
            expect(stable.map((x) => [x.name, x.value, x.verdict])).to.deep.equal([
                ["request-success-rate", 10, "Successful"],
                ["latency-p95", 9000, "Successful"],
                ["request-count", 1, "Successful"],
            ]);
            expect(stable[0]?.reason).to.equal("stable (not judged): 10 (no bound)");
        });

        it("lists every metric with its bounds for the live view", () => {
            const r = assessAnalysis(healthy, t, 10);
            expect(r.metrics.map((x) => [x.name, x.min, x.max, x.unit])).to.deep.equal([
                ["request-count", 10, undefined, "requests"],
                ["request-success-rate", 95, undefined, "percent"],
                ["latency-p95", undefined, 1000, "ms"],
            ]);
        });
    });

    describe("compareWithStable", () => {
        it("is the canary error rate minus stable's, in percentage points", () => {
            expect(compareWithStable({ value: 90 }, { value: 99 }, 5)).to.deep.include({ value: 9, verdict: "Failed" });
            expect(compareWithStable({ value: 99.5 }, { value: 99 }, 0)).to.deep.include({ value: -0.5, verdict: "Successful" });
        });
        it("an error on either side is Error", () => {
            expect(compareWithStable({ value: 90 }, { error: "down" }, 5)).to.deep.include({ verdict: "Error", reason: "down" });
            expect(compareWithStable({ error: "bad" }, { value: 1 }, 5)).to.deep.include({ verdict: "Error", reason: "bad" });
        });
    });
});
