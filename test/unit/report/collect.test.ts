import { expect } from "chai";
import { applyEvent, collectReport, emptyReport, reportSink } from "../../../release/report/collect";
import { at, ev, metrics, promotedRun, rolledBackRun, state } from "./fixtures";

describe("release/report/collect", () => {
    it("a promotion: weights as a step function ending at 100 %, one sample per analysis, marks, outcome", () => {
        const r = collectReport(promotedRun());
        expect(r).to.not.equal(undefined);
        if (r === undefined) {
            return;
        }
        expect(r).to.deep.include({
            schemaVersion: 1,
            stack: "dev",
            service: "sample-app",
            version: "v2",
            steps: [10, 50, 100],
            intervalMs: 3000,
            startedAt: at(0),
            finishedAt: at(24),
            outcome: "promoted",
            exitCode: 0,
            message: "v2 promoted",
            canaryRequestsInWindows: 30 + 3 + 150 + 300,
        });
        expect(r.thresholds).to.deep.equal({ successRate: 99, latencyP95Ms: 500, minRequests: 20 });
        expect(r.weights).to.deep.equal([
            { at: at(0), weight: 0 },
            { at: at(2), weight: 10 },
            { at: at(8), weight: 50 },
            { at: at(16), weight: 100 },
            // promotion: the new version stays at 100 % (it is stable now), not back to 0 like a rollback
        ]);
        expect(r.samples.map((s) => [s.stepIndex, s.weight, s.verdict, s.canary.successRate, s.stable.latencyP95Ms])).to.deep.equal([
            [0, 10, "Successful", 100, 40],
            [1, 50, "Inconclusive", null, 40],
            [1, 50, "Successful", 99.5, 40],
            [2, 100, "Successful", 99.9, null],
        ]);
        expect(r.marks.map((m) => [m.kind, m.label])).to.deep.equal([
            ["step", "step 1: 10%"],
            ["update-failed", "shift update failed (attempt 1)"],
            ["step", "step 2: 50%"],
            ["step", "step 3: 100%"],
            ["promotion", "promotion"],
        ]);
    });

    it("a rollback: weight back to 0 at the rollback update, rollback and failed-webhook marks", () => {
        const r = collectReport(rolledBackRun());
        expect(r?.outcome).to.equal("rolled-back");
        expect(r?.exitCode).to.equal(1);
        expect(r?.weights.map((w) => w.weight)).to.deep.equal([0, 10, 0]);
        expect(r?.marks.map((m) => m.kind)).to.deep.equal(["step", "rollback", "webhook-failed"]);
        expect(r?.marks[1]?.label).to.equal("rollback: request-success-rate 80.5 < 99");
        expect(r?.canaryRequestsInWindows).to.equal(28);
    });

    it("a resumed rollout starts at the weight of the step already applied", () => {
        const r = collectReport([
            ev(0, {
                type: "rollout-started",
                version: "v2",
                steps: [10, 50, 100],
                intervalMs: 1000,
                resumed: true,
                state: state({ stepIndex: 1, stepApplied: true }),
            }),
        ]);
        expect(r?.weights).to.deep.equal([{ at: at(0), weight: 50 }]);
    });

    it("ignores events of other services and does not change its input", () => {
        const base = emptyReport("dev", "sample-app");
        const frozen = JSON.stringify(base);
        const other = applyEvent(base, ev(1, { type: "step-applied", stepIndex: 0, weight: 10 }, "other-svc"));
        expect(other).to.equal(base);
        const next = applyEvent(base, ev(1, { type: "step-applied", stepIndex: 0, weight: 10 }));
        expect(next.weights).to.have.length(1);
        expect(JSON.stringify(base)).to.equal(frozen);
    });

    it("keeps the default thresholds until an analysis reports bounds, and no events give no report", () => {
        expect(emptyReport("dev", "s").thresholds).to.deep.equal({ successRate: 95, latencyP95Ms: 1000, minRequests: 0 });
        expect(collectReport([])).to.equal(undefined);
        const noBounds = metrics(99, 10, 50).map(({ min: _min, max: _max, ...m }) => m);
        const r = collectReport([ev(1, { type: "analysis", stepIndex: 0, weight: 10, verdict: "Successful", metrics: noBounds, counters: { failedChecks: 0, inconclusiveChecks: 0, errorChecks: 0 }, limits: { failedChecks: 0, inconclusiveChecks: 0, errorChecks: 0 } })]);
        expect(r?.thresholds).to.deep.equal({ successRate: 95, latencyP95Ms: 1000, minRequests: 0 });
    });

    it("reportSink follows a live stream and equals the batch result", () => {
        const { sink, report } = reportSink();
        expect(report()).to.equal(undefined);
        const events = rolledBackRun();
        events.forEach(sink);
        expect(report()).to.deep.equal(collectReport(events));
    });
});
