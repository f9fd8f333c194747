/**
 * A step's analysis window (release/rollout/index.ts's `analyze` action): the fixed window (wait, then measure and
 * judge, core/analysis.ts) or the sequential one (a look per scrape, metrics/sequential.ts); the verdict, after the
 * live-split check (liveSplit.ts), goes to the machine.
 */
import { assessAnalysis, type AnalysisResult } from "../core/analysis";
import { isAborted } from "../core/clock";
import { stepsOf } from "../core/machine";
import { measure } from "../metrics/istio";
import { analyzeStepSequentially, baselineDelayMs } from "../metrics/sequential";
import { checkLiveSplit } from "./liveSplit";
import type { Run } from "./types";

export async function analyzeStep(run: Run, stepIndex: number, weight: number): Promise<void> {
    if (sequentialLooks(run.policy.analysis, run.policy.intervalMs)) {
        await analyzeSequentially(run, stepIndex, weight);
        return;
    }
    const windowMs = run.policy.intervalMs;
    run.emit({ type: "analysis-waiting", stepIndex, weight, until: new Date(run.clock.now().getTime() + windowMs).toISOString(), windowMs });
    await run.clock.sleep(windowMs, run.deps.signal);
    if (isAborted(run.deps.signal)) {
        return;
    }
    const measurements = await measure(
        run.metrics,
        {
            reporter: run.policy.reporter,
            service: run.req.service,
            namespace: run.ctx.namespace,
            canaryVersion: run.version,
            stableVersion: run.ctx.stableVersion,
            windowMs,
            includeStable: true,
            custom: run.policy.customQueries,
        },
        run.deps.signal,
    );
    if (isAborted(run.deps.signal)) {
        return;
    }
    await recordVerdict(run, stepIndex, weight, assessAnalysis(measurements, run.policy.thresholds, weight));
}

/**
 * Sequential and auto modes (release/metrics/sequential.ts): looks at every scrape; a crossed bound stops the step at
 * once. Auto also passes a starved threshold test on its point estimate (release/sequential/judge.ts).
 */
export async function analyzeSequentially(run: Run, stepIndex: number, weight: number): Promise<void> {
    const windowMs = run.policy.intervalMs;
    const t = run.policy.thresholds;
    // A new step first waits for a scrape taken after it began (its baseline); a step analysed again goes on from its baseline.
    const delay = run.tracker?.stepIndex === stepIndex ? 0 : baselineDelayMs(run.policy.analysis.lookIntervalMs);
    run.emit({ type: "analysis-waiting", stepIndex, weight, until: new Date(run.clock.now().getTime() + delay + windowMs).toISOString(), windowMs });
    const { result, tracker, aborted } = await analyzeStepSequentially(
        {
            reporter: run.policy.reporter,
            service: run.req.service,
            namespace: run.ctx.namespace,
            canaryVersion: run.version,
            stableVersion: run.ctx.stableVersion,
            stepIndex,
            weight,
            windowMs,
            lookIntervalMs: run.policy.analysis.lookIntervalMs,
            policy: { alpha: run.policy.analysis.alpha, steps: stepsOf(run.requireState(), run.policy.machine).length, successRate: t.successRate, latencyP95Ms: t.latencyP95Ms, minRequests: t.minRequests, pointEstimateWhenStarved: run.policy.analysis.mode === "auto" },
            custom: run.policy.customQueries.map((q) => ({ ...q, ...t.custom.find((c) => c.name === q.name) })),
        },
        { provider: run.metrics, clock: run.clock, signal: run.deps.signal, emit: (e) => run.emit(e) },
        run.tracker,
    );
    run.tracker = tracker;
    if (aborted || isAborted(run.deps.signal)) {
        return;
    }
    await recordVerdict(run, stepIndex, weight, result);
}

/**
 * Whether a step is judged look by look: sequential mode always (its config rule refuses a window shorter than a
 * scrape), auto mode when the window holds at least one scrape interval (else it judges as the fixed window does).
 */
export function sequentialLooks(analysis: { mode: "auto" | "fixed" | "sequential"; lookIntervalMs: number }, intervalMs: number): boolean {
    return analysis.mode === "sequential" || (analysis.mode === "auto" && intervalMs >= analysis.lookIntervalMs);
}

export async function recordVerdict(run: Run, stepIndex: number, weight: number, result: AnalysisResult): Promise<void> {
    const harm = await checkLiveSplit(run, stepIndex, weight, result);
    const next = await run.apply(harm ?? { type: "verdict", verdict: result.verdict, reason: result.reason });
    const m = run.policy.machine;
    run.emit({
        type: "analysis",
        stepIndex,
        weight,
        verdict: result.verdict,
        metrics: result.metrics,
        counters: { failedChecks: next.failedChecks, inconclusiveChecks: next.inconclusiveChecks, errorChecks: next.errorChecks },
        limits: { failedChecks: m.failureLimit, inconclusiveChecks: m.inconclusiveLimit, errorChecks: m.errorLimit },
    });
}
