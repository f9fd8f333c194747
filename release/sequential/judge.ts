/**
 * The sequential judgement of one canary step. Pure: the counts since the step began in, a decision out.
 *
 * Four tests, each a test supermartingale from mixture.ts (so each may be looked at after every scrape):
 * - `errors-vs-threshold`: is the canary's error rate above `1 - successRate`? (Bernoulli, its requests)
 * - `latency-vs-threshold`: is the canary's share of requests slower than the p95 threshold above 5 %?
 *   (p95 <= T exactly when at most 5 % are slower than T.) Slow = above a histogram bucket boundary:
 *   the smallest boundary >= T to roll back, the largest <= T to pass (counts.ts), so a threshold between
 *   two boundaries can delay a decision but never make a wrong one.
 * - `errors-vs-stable`: is the canary's share of all 5xx above its share of the traffic (the weight)?
 *   Conditional on the total, each error is the canary's with probability = weight when both versions
 *   fail alike (Lindon & Malek's binomial split of two Poisson processes): two integers decide it.
 * - `latency-vs-stable`: the same split for requests slower than the threshold (a one-cut stochastic
 *   order test: the canary is slow more often than its traffic share explains).
 * The stable tests run only when stable gets traffic (weight < 100).
 *
 * Decision: any test whose evidence reaches its bound 1/alpha_i fails the step at once (certain failure).
 * Otherwise the step runs its full window; it then passes only if the confidence bounds of both absolute
 * tests lie on the right side of their thresholds (the evidence that the canary is *within* them reaches
 * the same bound); anything else is Inconclusive, never a pass.
 *
 * Alpha spending: Bonferroni. The rollout's false-rollback rate `alpha` is split evenly over the 4 tests
 * and the steps of the rollout: alpha_i = alpha / (4 * steps). A step analysed again after an Inconclusive
 * verdict continues the same tests on the same counts (more looks cost nothing), so the split holds.
 *
 * The pass side needs no split: a canary outside a threshold is promoted only if it passes that test at
 * every step, and each pass has probability at most alpha (the pass evidence reaches 1/alpha), so the
 * false-promotion rate of a canary outside one of its thresholds is at most alpha.
 *
 * Starved tests (`pointEstimateWhenStarved`, the `auto` mode, the default): at the window's end, an absolute
 * test that lacks pass evidence and whose trials could not give it even for a canary at a quarter of its limit
 * (`starved`) is judged by its point estimate instead (at most p0: it passes), as the fixed window judges. A small first step or a
 * low-traffic service then still reaches a decision; the fail side is unchanged (certain failure only), so
 * false rollbacks cannot rise. The false-promotion bound then holds only through the steps whose tests were
 * not starved (the later, larger steps of a service with traffic).
 */
import type { StepCounts } from "./counts";
import { logEvidenceAbove, logEvidenceBelow } from "./mixture";

export const TEST_NAMES = ["errors-vs-threshold", "latency-vs-threshold", "errors-vs-stable", "latency-vs-stable"] as const;
export type TestName = (typeof TEST_NAMES)[number];

export interface SequentialPolicy {
    /** False-rollback rate of a whole rollout, 0..1. */
    alpha: number;
    /** Steps of the rollout (the alpha split). */
    steps: number;
    /** Minimum canary success rate, percent. */
    successRate: number;
    /** Maximum canary p95, ms. */
    latencyP95Ms: number;
    /** Fewer canary requests than this at the window's end: Inconclusive. */
    minRequests: number;
    /**
     * `auto` mode: a starved absolute test (see {@link starved}) passes at the window's end on its point estimate.
     * Default false (`sequential` mode: a pass needs evidence).
     */
    pointEstimateWhenStarved?: boolean;
}

/** One test at one look. */
export interface TestEvidence {
    name: TestName;
    /** Events and trials the test saw (errors of requests, slow of timed, canary's of all errors...). */
    events: number;
    trials: number;
    /** The null's boundary: the threshold rate, or the canary's traffic share for the stable tests. */
    p0: number;
    /** log e-value that the canary is worse than p0, floored at 0; the step fails when it reaches `logBound`. */
    logEvidence: number;
    /** Events the pass side counts (absolute tests only; the latency test counts possibly-slow requests). */
    passEvents?: number;
    /**
     * log e-value that the canary is within p0 (absolute tests only, computed once the window is over); the
     * step may pass when it reaches `logPassBound`.
     */
    logPassEvidence?: number;
    /** log(1 / alpha_i). */
    logBound: number;
    /** log(1 / alpha): what `logPassEvidence` must reach. */
    logPassBound: number;
    /** Judged by its point estimate (auto mode, a starved test at the window's end). */
    pointEstimate?: boolean;
    alphaPerTest: number;
    crossed: boolean;
}

export type StepDecision =
    | { kind: "fail"; failed: TestName[] }
    | { kind: "continue" }
    | { kind: "pass" }
    | { kind: "inconclusive"; why: "too-few-requests" | "no-evidence"; lacking: TestName[] };

export interface Look {
    tests: TestEvidence[];
    decision: StepDecision;
}

/** alpha_i of each test: the Bonferroni split of the rollout's alpha. */
export function alphaPerTest(policy: Pick<SequentialPolicy, "alpha" | "steps">): number {
    return policy.alpha / (TEST_NAMES.length * Math.max(1, policy.steps));
}

/** n * KL(x/n || p0): the log of the largest likelihood ratio of any alternative, an upper bound of every mixture. */
export function logMaxLikelihoodRatio(x: number, n: number, p0: number): number {
    if (n === 0) return 0;
    const a = x / n;
    const term = (u: number, v: number): number => (u === 0 ? 0 : u * Math.log(u / v));
    return n * (term(a, p0) + term(1 - a, 1 - p0));
}

/**
 * The tests and the decision after one look at the step's counts. `windowDone`: the full window has run.
 * `evidence: "decision"` (the offline simulation) skips the exact mixture where even the largest
 * likelihood ratio stays under the bound, reporting that upper bound instead: the decision is the same
 * (a property test checks it), the reported evidence is not exact.
 */
export function judgeStep(counts: StepCounts, policy: SequentialPolicy, weight: number, windowDone: boolean, evidence: "exact" | "decision" = "exact"): Look {
    const a = alphaPerTest(policy);
    const logBound = Math.log(1 / a);
    const logPassBound = Math.log(1 / policy.alpha);
    const c = counts.canary;
    const s = counts.stable;
    const errP0 = clamp01(1 - policy.successRate / 100);
    const rho = clamp01(weight / 100);
    // Floored at 0 (e = 1, "no evidence"): at or under p0 the likelihood ratio is below 1 for every
    // alternative, so the exact value (costly at every look) cannot matter for a bound above 1.
    const above = (events: number, trials: number, p0: number): number =>
        events <= trials * p0
            ? 0
            : evidence === "decision" && logMaxLikelihoodRatio(events, trials, p0) < logBound
              ? logMaxLikelihoodRatio(events, trials, p0)
              : Math.max(0, logEvidenceAbove(events, trials, p0));
    /**
     * `passEvents`: the events the pass evidence counts (absolute tests only). `observedShare` (stable
     * tests): the canary's share of the requests actually seen; when it is above the weight (an A/B header
     * route, a weight change still reaching the proxies), the evidence must cross at that share too. The
     * test at the weight alone keeps alpha; the second condition can only prevent a rollback.
     */
    const make = (name: TestName, events: number, trials: number, p0: number, passEvents?: number, observedShare?: number): TestEvidence => {
        events = Math.min(events, trials); // counters of one scrape can disagree by a request in flight
        const atWeight = above(events, trials, p0);
        const logEvidence = observedShare !== undefined && observedShare > p0 && atWeight >= logBound ? Math.min(atWeight, above(events, trials, clamp01(observedShare))) : atWeight;
        return {
            name,
            events,
            trials,
            p0,
            logEvidence,
            // The pass side matters only once the window is over (and costs as much again at every look).
            ...(passEvents !== undefined ? { passEvents: Math.min(passEvents, trials), logPassEvidence: windowDone ? logEvidenceBelow(Math.min(passEvents, trials), trials, p0) : undefined } : {}),
            logBound,
            logPassBound,
            alphaPerTest: a,
            crossed: logEvidence >= logBound,
        };
    };
    const tests: TestEvidence[] = [
        make("errors-vs-threshold", c.errors, c.requests, errP0, c.errors),
        make("latency-vs-threshold", c.slowCertain, c.timed, 0.05, c.slowPossible),
    ];
    if (weight < 100) {
        const share = (x: number, y: number): number | undefined => (x + y > 0 ? x / (x + y) : undefined);
        tests.push(make("errors-vs-stable", c.errors, c.errors + s.errors, rho, undefined, share(c.requests, s.requests)));
        tests.push(make("latency-vs-stable", c.slowCertain, c.slowCertain + s.slowCertain, rho, undefined, share(c.timed, s.timed)));
    }
    const failed = tests.filter((t) => t.crossed).map((t) => t.name);
    if (failed.length > 0) {
        return { tests, decision: { kind: "fail", failed } };
    }
    if (!windowDone) {
        return { tests, decision: { kind: "continue" } };
    }
    if (c.requests < policy.minRequests) {
        return { tests, decision: { kind: "inconclusive", why: "too-few-requests", lacking: [] } };
    }
    if (policy.pointEstimateWhenStarved === true) {
        for (const t of tests) {
            if (t.passEvents !== undefined && (t.logPassEvidence ?? -Infinity) < logPassBound && starved(t.trials, t.p0, policy.alpha) && t.passEvents <= t.trials * t.p0) {
                t.pointEstimate = true;
            }
        }
    }
    const lacking = tests.filter((t) => t.passEvents !== undefined && t.pointEstimate !== true && (t.logPassEvidence ?? -Infinity) < logPassBound).map((t) => t.name);
    return { tests, decision: lacking.length === 0 ? { kind: "pass" } : { kind: "inconclusive", why: "no-evidence", lacking } };
}

/**
 * True when `trials` requests could not give a pass evidence of 1/alpha that the rate is within p0 even for a
 * canary whose observed rate is a quarter of p0: the step was too small or too short for evidence.
 */
export function starved(trials: number, p0: number, alpha: number): boolean {
    return logEvidenceBelow(Math.round((trials * p0) / 4), trials, p0) < Math.log(1 / alpha);
}

/** The fewest trials that are not {@link starved} (for the docs and the bench: 174 for p0 0.05, alpha 0.05). */
export function evidenceTrials(p0: number, alpha: number): number {
    let n = 1;
    while (starved(n, p0, alpha) && n < 1_000_000) {
        n++;
    }
    return n;
}

function clamp01(v: number): number {
    return Math.min(1, Math.max(0, v));
}
