/**
 * The false-rollback rate of the sequential analysis, by seeded simulation of whole rollouts looked at
 * every few seconds (release/sequential/simulate.ts). Fails if healthy canaries are rolled back more
 * often than alpha. Also shows the simulation can tell: a naive check of the point estimate at every look
 * (what "peeking" at a fixed-window rule does) exceeds alpha in the same simulation.
 */
import { expect } from "chai";
import { judgeStep, type SequentialPolicy } from "../../../release/sequential/judge";
import { simulateFixedRollout, simulateMany, wilsonInterval, type FixedWindowParams, type SimulationParams } from "../../../release/sequential/simulate";
import { mulberry32 } from "../../../sim/rng";

const POLICY: SequentialPolicy = { alpha: 0.05, steps: 5, successRate: 95, latencyP95Ms: 1000, minRequests: 10 };
const BASE: SimulationParams = {
    policy: POLICY,
    weights: [10, 25, 50, 75, 100],
    rps: 20,
    windowMs: 60_000,
    lookMs: 10_000,
    inconclusiveLimit: 2,
    canary: { errorRate: 0.01, slowRate: 0.01 },
    stable: { errorRate: 0.01, slowRate: 0.01 },
};

describe("release/sequential: simulated rollouts (seeded)", function () {
    this.timeout(60_000);

    it("10,000 healthy rollouts (canary = stable), 30+ looks each: false rollbacks <= alpha", () => {
        const r = simulateMany(BASE, 10_000, mulberry32(2026));
        const rate = r.failed / 10_000;
        const ci = wilsonInterval(r.failed, 10_000);
        // A failure here means the tests are not anytime-valid (or alpha is spent wrongly).
        expect(rate, `false-rollback rate ${rate} (95 % CI ${ci.low.toFixed(4)}-${ci.high.toFixed(4)}) against alpha ${POLICY.alpha}`).to.be.at.most(POLICY.alpha);
        expect(r.promoted + r.failed + r.inconclusive).to.equal(10_000);
        expect(r.results.every((x) => x.looks >= 30 || x.outcome !== "promoted")).to.equal(true);
        console.log(`      ${r.promoted} promoted, ${r.failed} false rollbacks (rate ${rate}, 95 % CI ${ci.low.toFixed(4)}-${ci.high.toFixed(4)}, alpha ${POLICY.alpha}), ${r.inconclusive} ended Inconclusive`);
    });

    it("2,000 rollouts at the null's edge (rates exactly at the thresholds): false rollbacks <= alpha, and none passes", () => {
        const edge = { errorRate: 0.05, slowRate: 0.05 };
        const r = simulateMany({ ...BASE, canary: edge, stable: edge }, 2000, mulberry32(7));
        expect(r.failed / 2000).to.be.at.most(POLICY.alpha);
        expect(r.promoted / 2000).to.be.at.most(POLICY.alpha); // a pass needs evidence of being within the threshold
    });

    it("the same simulation catches a method that is not anytime-valid (naive point estimate at every look)", () => {
        // The control: roll back when the observed error rate is above the threshold at any look, with
        // canaries exactly at it. The same traffic model; only the rule differs.
        let rolledBack = 0;
        const rng = mulberry32(3);
        for (let i = 0; i < 2000; i++) {
            let errors = 0;
            let requests = 0;
            for (let look = 0; look < 6; look++) {
                for (let k = 0; k < 20; k++) {
                    requests++;
                    if (rng() < 0.05) errors++;
                }
                if (errors / requests > 0.05) {
                    rolledBack++;
                    break;
                }
            }
        }
        expect(rolledBack / 2000).to.be.greaterThan(POLICY.alpha);
    });

    it("bad canaries at 100 req/s, looks every 1.5 s: detection time distribution", () => {
        const cases: [string, SimulationParams["canary"], number][] = [
            ["20 % errors", { errorRate: 0.2, slowRate: 0.01 }, 15],
            ["8 % errors (threshold 5 %)", { errorRate: 0.08, slowRate: 0.01 }, 30],
            ["slow only at p95 (13 % over the threshold)", { errorRate: 0.0, slowRate: 0.13 }, 30],
        ];
        for (const [name, canary, maxMedianS] of cases) {
            const r = simulateMany({ ...BASE, rps: 100, lookMs: 1500, canary, stable: { errorRate: 0, slowRate: 0.01 } }, 500, mulberry32(9));
            const times = r.results.map((x) => x.timeMs / 1000).sort((a, b) => a - b);
            const q = (p: number): number => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? NaN;
            // Printed for the record (the issue asks for the distribution); asserted loosely.
            console.log(`      ${name}: ${r.failed}/500 stopped at step 1: ${r.results.filter((x) => x.stepIndex === 0).length}; detection s p10 ${q(0.1)} median ${q(0.5)} p90 ${q(0.9)} max ${q(1 - 1e-9)}`);
            expect(r.failed).to.equal(500);
            expect(q(0.5)).to.be.at.most(maxMedianS);
        }
    });

    it("a single look uses the exact evidence and one per step stays within alpha too (no look is special)", () => {
        const look = judgeStep({ canary: { requests: 0, errors: 0, timed: 0, slowCertain: 0, slowPossible: 0 }, stable: { requests: 0, errors: 0, timed: 0, slowCertain: 0, slowPossible: 0 } }, POLICY, 10, false);
        expect(look.tests.every((t) => t.logEvidence === 0)).to.equal(true);
        const r = simulateMany({ ...BASE, lookMs: 60_000 }, 2000, mulberry32(4));
        expect(r.failed / 2000).to.be.at.most(POLICY.alpha);
    });

    describe("simulateFixedRollout (the fixed window and Flagger's checks, for bench/safety.ts)", () => {
        const FLAGGER: FixedWindowParams = {
            weights: [10, 20, 30, 40, 50],
            rps: 100,
            windowMs: 60_000,
            maxErrorRate: 0.05,
            maxSlowRate: 0.05,
            minRequests: 10,
            failureLimit: 4,
            inconclusiveLimit: 2,
            canary: { errorRate: 1, slowRate: 0 },
        };
        const rng = mulberry32(7);

        it("a canary failing every request: the 5th failed check rolls back, the weight held at the first step", () => {
            const r = simulateFixedRollout(FLAGGER, rng);
            expect(r).to.include({ outcome: "failed", stepIndex: 0, timeMs: 300_000, looks: 5 });
            expect(r.canaryRequests).to.be.within(2700, 3300); // 5 windows of 6,000 requests at 10 %
        });

        it("failureLimit 0 rolls back at the first failed window; a healthy canary is promoted after one window a step", () => {
            expect(simulateFixedRollout({ ...FLAGGER, failureLimit: 0 }, rng)).to.include({ outcome: "failed", stepIndex: 0, looks: 1 });
            expect(simulateFixedRollout({ ...FLAGGER, canary: { errorRate: 0, slowRate: 0 } }, rng)).to.include({ outcome: "promoted", stepIndex: 4, looks: 5 });
        });

        it("too few canary requests: Inconclusive after inconclusiveLimit + 1 windows", () => {
            expect(simulateFixedRollout({ ...FLAGGER, rps: 0.5, canary: { errorRate: 0, slowRate: 0 } }, rng)).to.include({ outcome: "inconclusive", stepIndex: 0, looks: 3 });
        });
    });
});
