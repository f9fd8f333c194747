/** Table and property tests of the sequential analysis core (release/sequential/*). */
import { expect } from "chai";
import fc from "fast-check";
import { advance, baseline, boundariesAround, workloadCounts, type Sample, type StepCounts } from "../../../release/sequential/counts";
import { describeDecision, describeTest, formatEvidence } from "../../../release/sequential/describe";
import { alphaPerTest, judgeStep, logMaxLikelihoodRatio, type SequentialPolicy } from "../../../release/sequential/judge";
import { confidenceSequence, logEvidenceAbove, logEvidenceBelow, priorB } from "../../../release/sequential/mixture";
import { binomial, wilsonInterval } from "../../../release/sequential/simulate";
import { mulberry32 } from "../../../sim/rng";

/**
 * The mixture by numerical integration (midpoint rule, 20,000 cells): an independent reference. Prior:
 * density (1 - q)^(b - 1) on (p0, 1] for "above" (Beta(1, b) truncated), uniform on [0, p0) for "below".
 */
function numericLogE(x: number, n: number, p0: number, side: "above" | "below"): number {
    const [lo, hi] = side === "above" ? [p0, 1] : [0, p0];
    const b = side === "above" ? priorB(p0) : 1;
    const cells = 20_000;
    const h = (hi - lo) / cells;
    let sum = 0;
    let mass = 0;
    for (let i = 0; i < cells; i++) {
        const q = lo + (i + 0.5) * h;
        const w = Math.pow(1 - q, b - 1);
        sum += w * Math.exp(x * Math.log(q / p0) + (n - x) * Math.log((1 - q) / (1 - p0)));
        mass += w;
    }
    return Math.log(sum / mass);
}

const POLICY: SequentialPolicy = { alpha: 0.05, steps: 5, successRate: 95, latencyP95Ms: 1000, minRequests: 10 };
const counts = (c: Partial<StepCounts["canary"]>, s: Partial<StepCounts["stable"]> = {}): StepCounts => ({
    canary: { requests: 0, errors: 0, timed: 0, slowCertain: 0, slowPossible: 0, ...c },
    stable: { requests: 0, errors: 0, timed: 0, slowCertain: 0, slowPossible: 0, ...s },
});

describe("release/sequential", () => {
    describe("mixture e-values", () => {
        const table: [number, number, number][] = [
            [0, 10, 0.05],
            [3, 10, 0.05],
            [10, 50, 0.05],
            [96, 1200, 0.05],
            [40, 60, 0.1],
            [1, 300, 0.05],
        ];
        for (const [x, n, p0] of table) {
            it(`equal numerical integration at ${x} of ${n}, p0 ${p0}`, () => {
                expect(logEvidenceAbove(x, n, p0)).to.be.closeTo(numericLogE(x, n, p0, "above"), 1e-3);
                expect(logEvidenceBelow(x, n, p0)).to.be.closeTo(numericLogE(x, n, p0, "below"), 1e-3);
            });
        }
        it("start at e = 1 with no data", () => {
            expect(logEvidenceAbove(0, 0, 0.05)).to.equal(0);
            expect(logEvidenceBelow(0, 0, 0.05)).to.be.closeTo(0, 1e-12);
        });
        it("handle the edges: rate thresholds 0 and 1, and far-off data without NaN", () => {
            expect(logEvidenceAbove(1, 5, 0)).to.equal(Infinity);
            expect(logEvidenceAbove(0, 5, 0)).to.be.below(0);
            expect(logEvidenceAbove(3, 5, 1)).to.equal(-Infinity);
            expect(logEvidenceBelow(3, 5, 0)).to.equal(-Infinity);
            expect(logEvidenceBelow(3, 5, 1)).to.equal(Infinity);
            expect(logEvidenceAbove(0, 1_000_000, 0.05)).to.equal(-Infinity);
            expect(logEvidenceBelow(0, 1_000_000, 0.05)).to.be.greaterThan(50_000);
        });
        it("refuse counts that are not counts", () => {
            expect(() => logEvidenceAbove(5, 3, 0.1)).to.throw("0 <= events <= trials; got 5 of 3");
            expect(() => logEvidenceAbove(1.5, 3, 0.1)).to.throw(RangeError);
        });
        it("property: more events is more evidence of a higher rate, and less of a lower one", () => {
            fc.assert(
                fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 399 }), fc.double({ min: 0.01, max: 0.9, noNaN: true }), (n, x0, p0) => {
                    const x = x0 % n;
                    expect(logEvidenceAbove(x + 1, n, p0)).to.be.at.least(logEvidenceAbove(x, n, p0) - 1e-9);
                    expect(logEvidenceBelow(x + 1, n, p0)).to.be.at.most(logEvidenceBelow(x, n, p0) + 1e-9);
                }),
                { seed: 11, numRuns: 300 },
            );
        });
        it("property: a mixture never exceeds the largest likelihood ratio (the shortcut of the simulation is safe)", () => {
            fc.assert(
                fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: 2000 }), fc.double({ min: 0.01, max: 0.9, noNaN: true }), (n, x0, p0) => {
                    const x = x0 % (n + 1);
                    if (x > n * p0) {
                        expect(logEvidenceAbove(x, n, p0)).to.be.at.most(logMaxLikelihoodRatio(x, n, p0) + 1e-9);
                    } else {
                        expect(logEvidenceAbove(x, n, p0)).to.be.at.most(1e-9); // at or under p0: no evidence
                    }
                }),
                { seed: 12, numRuns: 300 },
            );
        });
        it("property: the confidence sequence holds the observed rate and narrows with more data", () => {
            fc.assert(
                fc.property(fc.integer({ min: 1, max: 500 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
                    const x = Math.min(n, Math.floor(f * n));
                    const cs = confidenceSequence(x, n, 0.01);
                    expect(cs.lower).to.be.at.most(x / n + 1e-6);
                    expect(cs.upper).to.be.at.least(x / n - 1e-6);
                    const more = confidenceSequence(4 * x, 4 * n, 0.01);
                    expect(more.upper - more.lower).to.be.at.most(cs.upper - cs.lower + 1e-6);
                }),
                { seed: 13, numRuns: 100 },
            );
        });
    });

    describe("counts since the step began", () => {
        const s = (code: string, pod: string, value: number): Sample => ({ labels: { response_code: code, pod }, value });
        it("add each series' growth, a new series whole, and a reset from zero", () => {
            let st = baseline([s("200", "a", 100), s("503", "a", 7)]);
            st = advance(st, [s("200", "a", 150), s("503", "a", 9), s("200", "b", 20)]);
            // pod a restarted: its counter went down to 5
            st = advance(st, [s("200", "a", 5), s("503", "a", 9), s("200", "b", 30)]);
            const buckets = baseline([]);
            const w = workloadCounts(st, buckets, 1000);
            expect(w.requests).to.equal(50 + 2 + 20 + 5 + 10);
            expect(w.errors).to.equal(2);
        });
        it("a failed scrape (no call) loses nothing: the next scrape carries the growth", () => {
            const a = advance(advance(baseline([s("200", "a", 0)]), [s("200", "a", 10)]), [s("200", "a", 30)]);
            const b = advance(baseline([s("200", "a", 0)]), [s("200", "a", 30)]);
            expect(workloadCounts(a, baseline([]), 1000).requests).to.equal(workloadCounts(b, baseline([]), 1000).requests);
        });
        it("ignore NaN and negative samples, and do not resolve label keys through the prototype", () => {
            const st = advance(baseline([]), [{ labels: { response_code: "200" }, value: NaN }, { labels: { response_code: "constructor" }, value: 3 }]);
            expect(workloadCounts(st, baseline([]), 1000)).to.include({ requests: 3, errors: 0 });
        });
        const table: [number[], number, number | undefined, number | undefined][] = [
            [[250, 500, 1000, 2500], 1000, 1000, 1000],
            [[250, 500, 1000, 2500], 700, 500, 1000],
            [[250, 500], 700, 500, undefined],
            [[2500], 700, undefined, 2500],
        ];
        for (const [les, t, below, above] of table) {
            it(`bucket boundaries around ${t} ms of ${les.join(",")}: ${below}, ${above}`, () => {
                expect(boundariesAround(les, t)).to.deep.equal({ below, above });
            });
        }
        it("slow requests between two boundaries: certain above the upper one, possible above the lower one", () => {
            const b = (le: string, v: number): Sample => ({ labels: { le }, value: v });
            const st = advance(baseline([b("500", 0), b("1000", 0), b("+Inf", 0)]), [b("500", 80), b("1000", 95), b("+Inf", 100)]);
            expect(workloadCounts(baseline([]), st, 700)).to.include({ timed: 100, slowPossible: 20, slowCertain: 5 });
            expect(workloadCounts(baseline([]), st, 1000)).to.include({ slowPossible: 5, slowCertain: 5 });
        });
    });

    describe("judgeStep", () => {
        it("splits alpha over 4 tests and the steps (Bonferroni)", () => {
            expect(alphaPerTest({ alpha: 0.05, steps: 5 })).to.be.closeTo(0.0025, 1e-12);
        });
        const table: [string, StepCounts, number, boolean, string, string[]][] = [
            ["20 % errors: fails at once, before the window ends", counts({ requests: 80, errors: 16, timed: 80 }, { requests: 720, errors: 0, timed: 720 }), 10, false, "fail", ["errors-vs-threshold", "errors-vs-stable"]],
            ["healthy, mid-window: continues", counts({ requests: 300, errors: 1, timed: 300 }, { requests: 2700, errors: 9, timed: 2700 }), 10, false, "continue", []],
            ["healthy, window over, enough data: passes", counts({ requests: 600, errors: 2, timed: 600, slowPossible: 3 }, { requests: 5400, errors: 20, timed: 5400 }), 10, true, "pass", []],
            ["one error in 25 requests: not a pass, Inconclusive (the demo's lucky pass)", counts({ requests: 25, errors: 1, timed: 25 }, { requests: 225, errors: 0, timed: 225 }), 10, true, "inconclusive", ["errors-vs-threshold", "latency-vs-threshold"]],
            ["too few requests: Inconclusive", counts({ requests: 5, timed: 5 }), 10, true, "inconclusive", []],
            ["slow only at p95: fails on the latency test", counts({ requests: 400, timed: 400, slowCertain: 60, slowPossible: 60 }, { requests: 3600, timed: 3600 }), 10, false, "fail", ["latency-vs-threshold", "latency-vs-stable"]],
            ["at weight 100 the stable tests do not run", counts({ requests: 600, timed: 600 }), 100, true, "pass", []],
        ];
        for (const [name, c, weight, done, kind, names] of table) {
            it(name, () => {
                const look = judgeStep(c, POLICY, weight, done);
                expect(look.decision.kind).to.equal(kind);
                const d = look.decision;
                if (d.kind === "fail") expect(d.failed).to.deep.equal(names);
                if (d.kind === "inconclusive") expect(d.lacking).to.deep.equal(names);
                expect(look.tests.map((t) => t.name)).to.have.length(weight < 100 ? 4 : 2);
            });
        }
        it("the canary's share of the 5xx is judged against its observed share of the requests too, when that is above the weight", () => {
            // 30 of 40 errors at weight 10 %: far above 10 %, but the canary got half the requests (an A/B route)
            const c = counts({ requests: 1000, errors: 30, timed: 1000 }, { requests: 1000, errors: 10, timed: 1000 });
            const look = judgeStep(c, { ...POLICY, successRate: 90 }, 10, false);
            expect(look.tests.find((t) => t.name === "errors-vs-stable")?.crossed).to.equal(false);
            const routed = judgeStep(counts({ requests: 111, errors: 30, timed: 111 }, { requests: 1000, errors: 10, timed: 1000 }), { ...POLICY, successRate: 50 }, 10, false);
            expect(routed.tests.find((t) => t.name === "errors-vs-stable")?.crossed).to.equal(true);
        });
        it("property: the simulation's shortcut decides exactly as the exact evidence", () => {
            fc.assert(
                fc.property(
                    fc.record({ n: fc.integer({ min: 0, max: 3000 }), e: fc.double({ min: 0, max: 1, noNaN: true }), sl: fc.double({ min: 0, max: 1, noNaN: true }), se: fc.integer({ min: 0, max: 300 }), w: fc.constantFrom(10, 25, 50, 100), done: fc.boolean() }),
                    ({ n, e, sl, se, w, done }) => {
                        const c = counts({ requests: n, errors: Math.floor(e * e * n), timed: n, slowCertain: Math.floor(sl * sl * n), slowPossible: Math.floor(sl * sl * n) }, { errors: se, slowCertain: se });
                        expect(judgeStep(c, POLICY, w, done, "decision").decision).to.deep.equal(judgeStep(c, POLICY, w, done).decision);
                    },
                ),
                { seed: 14, numRuns: 300 },
            );
        });
        it("says why in words a release engineer reads", () => {
            const look = judgeStep(counts({ requests: 80, errors: 16, timed: 80 }, { requests: 720, timed: 720 }), POLICY, 10, false);
            const text = describeDecision(look, 1000, 10, 80);
            expect(text).to.match(/^stopped early, certain failure: errors-vs-threshold: canary error rate 20\.0 % of 80 requests: above the limit 5\.0 % with 99\.75 % confidence \(at least \d+\.\d+ %; evidence [\d,]+, bound 400\)/);
            expect(text).to.contain("errors-vs-stable: canary served 16 of 16 5xx (100.0 %) at a traffic share of 10.0 %: more than its traffic share explains");
            const lucky = judgeStep(counts({ requests: 25, errors: 1, timed: 25 }), POLICY, 10, true);
            expect(describeDecision(lucky, 1000, 10, 25)).to.match(/^window over without evidence that the canary is within its thresholds: errors-vs-threshold: canary error rate 4\.0 % of 25 requests: at most \d+\.\d+ % with 95\.00 % confidence, not yet shown within the limit 5\.0 %/);
            expect(describeTest(look.tests[3]!, 1000)).to.equal("no requests slower than 1000 ms from either version yet (canary traffic share 10.0 %)");
            expect([formatEvidence(0), formatEvidence(Math.log(2310)), formatEvidence(-Infinity), formatEvidence(Infinity)]).to.deep.equal(["1.0", "2,310", "0", "∞"]);
        });
    });

    describe("simulation helpers", () => {
        it("binomial draws have the right mean and stay within 0..n", () => {
            const rng = mulberry32(5);
            let sum = 0;
            for (let i = 0; i < 5000; i++) {
                const k = binomial(50, 0.1, rng);
                expect(k).to.be.within(0, 50);
                sum += k;
            }
            expect(sum / 5000).to.be.closeTo(5, 0.15);
            expect(binomial(10, 0.9, rng)).to.be.within(0, 10);
        });
        it("Wilson interval", () => {
            const w = wilsonInterval(5, 100);
            expect(w.low).to.be.closeTo(0.0215, 1e-3);
            expect(w.high).to.be.closeTo(0.1118, 1e-3);
        });
    });
});
