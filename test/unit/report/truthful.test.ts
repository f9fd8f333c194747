/**
 * What the summary and the report say about weights and counts must be what happened (issue 10, the
 * smaller faults): a failed rollback does not claim 0 % while the step's weight is live, a refused run does
 * not print `weights: none (steps  %)`, request counts are whole requests, and a promotion's weight line
 * goes to 100 % (the new version takes all traffic), not to 0 like a rollback's.
 */
import { expect } from "chai";
import { collectReport } from "../../../release/report/collect";
import { renderSummary } from "../../../release/reporters/summary";
import { metricValue } from "../../../release/reporters/format";
import { ev, metrics, promotedRun, state } from "./fixtures";

describe("truthful weights and counts (release/report/collect.ts, release/reporters)", () => {
    it("a rerun of a rollback whose update fails: the summary shows the step's weight still live, not 0 %", () => {
        const rollingBack = state({ version: "v3", phase: "RollingBack", stepIndex: 0, stepApplied: true, steps: [10, 50, 100] });
        const report = collectReport([
            ev(0, { type: "rollout-started", version: "v3", steps: [10, 50, 100], intervalMs: 3000, resumed: true, state: rollingBack }),
            ev(1, { type: "rollback-started", reason: "mesh-release rollback", aborted: false }),
            ev(2, { type: "update-finished", purpose: "rollback", weight: 0, attempt: 1, ok: false, durationMs: 100, error: "stack dev is locked" }),
            ev(2, { type: "rollout-finished", version: "v3", outcome: "failed", exitCode: 3, message: "rollback of v3 failed", state: rollingBack }),
        ]);
        const text = renderSummary({ report, result: { outcome: "failed", exitCode: 3, message: "rollback of v3 failed" } });
        expect(text).to.include("  weights:   10% (steps 10,50,100 %)");
    });

    it("a run refused before its first step: no 'none (steps  %)'", () => {
        const report = collectReport([ev(0, { type: "rollout-finished", version: "v2", outcome: "failed", exitCode: 3, message: "stack dev is locked", state: null })]);
        const text = renderSummary({ report, result: { outcome: "failed", exitCode: 3, message: "stack dev is locked" } });
        expect(text).not.to.include("steps  %");
        expect(text).to.include("  weights:   none applied");
    });

    it("request counts are whole requests (Prometheus' increase() extrapolates to 46.25)", () => {
        expect(metricValue({ value: 46.25, unit: "requests" })).to.equal("46 req");
        expect(metricValue({ value: 99.25, unit: "percent" })).to.equal("99.25 %");
        const report = collectReport([
            ev(0, { type: "rollout-started", version: "v2", steps: [10], intervalMs: 3000, resumed: false, state: state() }),
            ev(1, { type: "step-applied", stepIndex: 0, weight: 10 }),
            ev(4, {
                type: "analysis",
                stepIndex: 0,
                weight: 10,
                verdict: "Successful",
                metrics: metrics(100, 45, 46.25),
                counters: { failedChecks: 0, inconclusiveChecks: 0, errorChecks: 0 },
                limits: { failedChecks: 0, inconclusiveChecks: 2, errorChecks: 2 },
            }),
        ]);
        const text = renderSummary({ report, result: { outcome: "promoted", exitCode: 0, message: "ok" } });
        expect(text).to.include("canary requests in analysis windows: 46\n");
    });

    it("a promotion's weight line ends at 100 %, a rollback's at 0 %", () => {
        const report = collectReport(promotedRun());
        expect(report?.weights.map((w) => w.weight)).to.deep.equal([0, 10, 50, 100]);
        const text = renderSummary({ report, result: { outcome: "promoted", exitCode: 0, message: "v2 promoted" } });
        expect(text).to.include("  weights:   0% -> 10% -> 50% -> 100% (steps 10,50,100 %)");
    });
});
