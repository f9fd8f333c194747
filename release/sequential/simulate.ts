/**
 * A seeded, offline simulation of whole rollouts judged by {@link judgeStep}, look after look. Pure: the
 * random numbers come from the `rng` passed in. Used by the unit tests (false-rollback rate of healthy
 * canaries against alpha, detection time of bad ones) and by bench/safety.ts (the offline figures).
 *
 * Model: `rps` requests a second; each goes to the canary with probability weight/100 (Envoy's weighted
 * pick), fails with its version's error rate and is slower than the latency threshold with its version's
 * slow rate (the threshold sits on a bucket boundary, so slowCertain = slowPossible). The tests look every
 * `lookMs`; a step lasts `windowMs`, is analysed again after an Inconclusive verdict (the same counts go
 * on) and the rollout rolls back after `inconclusiveLimit` + 1 Inconclusive verdicts in all.
 */
import type { StepCounts, WorkloadCounts } from "./counts";
import { judgeStep, type SequentialPolicy } from "./judge";

export type Rng = () => number;

export interface VersionModel {
    /** Probability a request fails (5xx). */
    errorRate: number;
    /** Probability a request is slower than the latency threshold. */
    slowRate: number;
}

export interface SimulationParams {
    policy: SequentialPolicy;
    weights: readonly number[];
    rps: number;
    windowMs: number;
    lookMs: number;
    inconclusiveLimit: number;
    canary: VersionModel;
    stable: VersionModel;
}

export interface SimulatedRollout {
    outcome: "promoted" | "failed" | "inconclusive";
    /** Step at which it ended (the last one when promoted). */
    stepIndex: number;
    /** Time from the first step's start to the decision, ms. */
    timeMs: number;
    /** Requests the canary served. */
    canaryRequests: number;
    looks: number;
}

/**
 * Binomial(n, p), exactly, by geometric skips: the gap to the next success is geometric, so it costs
 * about n*p + 1 uniforms instead of n (the simulation draws tens of millions of requests).
 */
export function binomial(n: number, p: number, rng: Rng): number {
    if (p <= 0 || n <= 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - binomial(n, 1 - p, rng);
    const logQ = Math.log1p(-p);
    let k = 0;
    let i = 0;
    for (;;) {
        // trials up to and including the next success: 1 + floor(log(U) / log(1 - p))
        i += 1 + Math.floor(Math.log(1 - rng()) / logQ);
        if (i > n) return k;
        k++;
    }
}

function addRequests(w: WorkloadCounts, n: number, v: VersionModel, rng: Rng): WorkloadCounts {
    const errors = binomial(n, v.errorRate, rng);
    const slow = binomial(n, v.slowRate, rng);
    return { requests: w.requests + n, errors: w.errors + errors, timed: w.timed + n, slowCertain: w.slowCertain + slow, slowPossible: w.slowPossible + slow };
}

/** One rollout, simulated look by look. */
export function simulateRollout(p: SimulationParams, rng: Rng): SimulatedRollout {
    const perLook = Math.round((p.rps * p.lookMs) / 1000);
    let timeMs = 0;
    let canaryRequests = 0;
    let looks = 0;
    let inconclusive = 0;
    for (let stepIndex = 0; stepIndex < p.weights.length; stepIndex++) {
        const weight = p.weights[stepIndex] ?? 100;
        let counts: StepCounts = {
            canary: { requests: 0, errors: 0, timed: 0, slowCertain: 0, slowPossible: 0 },
            stable: { requests: 0, errors: 0, timed: 0, slowCertain: 0, slowPossible: 0 },
        };
        let windowEnd = p.windowMs;
        for (let t = p.lookMs; ; t += p.lookMs) {
            const toCanary = binomial(perLook, weight / 100, rng);
            counts = { canary: addRequests(counts.canary, toCanary, p.canary, rng), stable: addRequests(counts.stable, perLook - toCanary, p.stable, rng) };
            canaryRequests += toCanary;
            timeMs += p.lookMs;
            looks++;
            const look = judgeStep(counts, p.policy, weight, t >= windowEnd, "decision");
            const d = look.decision;
            if (d.kind === "fail") {
                return { outcome: "failed", stepIndex, timeMs, canaryRequests, looks };
            }
            if (d.kind === "pass") {
                break;
            }
            if (d.kind === "inconclusive") {
                inconclusive++;
                if (inconclusive > p.inconclusiveLimit) {
                    return { outcome: "inconclusive", stepIndex, timeMs, canaryRequests, looks };
                }
                windowEnd += p.windowMs;
            }
        }
    }
    return { outcome: "promoted", stepIndex: p.weights.length - 1, timeMs, canaryRequests, looks };
}

/** Many rollouts; counts of each outcome and the detection times of the failed ones. */
export function simulateMany(p: SimulationParams, runs: number, rng: Rng): { promoted: number; failed: number; inconclusive: number; results: SimulatedRollout[] } {
    const results: SimulatedRollout[] = [];
    for (let i = 0; i < runs; i++) {
        results.push(simulateRollout(p, rng));
    }
    return {
        promoted: results.filter((r) => r.outcome === "promoted").length,
        failed: results.filter((r) => r.outcome === "failed").length,
        inconclusive: results.filter((r) => r.outcome === "inconclusive").length,
        results,
    };
}

/** The Wilson score interval of a rate from k of n (95 %, two-sided), reported next to alpha. */
export function wilsonInterval(k: number, n: number, z = 1.96): { low: number; high: number } {
    if (n === 0) return { low: 0, high: 1 };
    const p = k / n;
    const d = 1 + (z * z) / n;
    const centre = (p + (z * z) / (2 * n)) / d;
    const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
    return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** A fixed-window policy (`release.analysis.mode: fixed`), for the bench's comparison with Flagger's default. */
export interface FixedWindowParams {
    weights: readonly number[];
    rps: number;
    windowMs: number;
    /** Success rate floor and share of requests allowed over the latency threshold, both as fractions (0.05). */
    maxErrorRate: number;
    maxSlowRate: number;
    minRequests: number;
    /** Failed checks tolerated (Flagger's threshold - 1); a failed check holds the weight. */
    failureLimit: number;
    inconclusiveLimit: number;
    canary: VersionModel;
}

/**
 * One rollout judged once per window on point estimates (the fixed mode, and Flagger's checks): a window fails
 * when its error rate or slow share is above the limit, the `failureLimit + 1`-th failure rolls back.
 */
export function simulateFixedRollout(p: FixedWindowParams, rng: Rng): SimulatedRollout {
    const perWindow = Math.round((p.rps * p.windowMs) / 1000);
    const so = { timeMs: 0, canaryRequests: 0, looks: 0 };
    const checks = { failed: 0, inconclusive: 0 };
    for (let stepIndex = 0; stepIndex < p.weights.length; ) {
        const w = addRequests({ requests: 0, errors: 0, timed: 0, slowCertain: 0, slowPossible: 0 }, binomial(perWindow, (p.weights[stepIndex] ?? 100) / 100, rng), p.canary, rng);
        so.canaryRequests += w.requests;
        so.timeMs += p.windowMs;
        so.looks++;
        if (w.requests < p.minRequests) {
            if (++checks.inconclusive > p.inconclusiveLimit) return { outcome: "inconclusive", stepIndex, ...so };
        } else if (w.errors / w.requests > p.maxErrorRate || w.slowCertain / w.requests > p.maxSlowRate) {
            if (++checks.failed > p.failureLimit) return { outcome: "failed", stepIndex, ...so };
        } else {
            stepIndex++;
        }
    }
    return { outcome: "promoted", stepIndex: p.weights.length - 1, ...so };
}
