/**
 * The sequential analysis of one step: the thin I/O loop around the pure tests of release/sequential/.
 *
 * At the step's start, once the counters Prometheus holds were scraped after it began ({@link baselineDelayMs}),
 * it reads every raw counter series of the canary and of stable (requests and latency buckets) as the baseline; then once per Prometheus scrape interval it reads them again, adds what each
 * series grew (counts.ts: counter resets and new series handled, a failed scrape skipped and carried by
 * the next), judges the counts (judge.ts) and emits an `analysis-look` event. A test that crosses its
 * bound ends the step at once with Failed; at the end of the window the step is Successful only with
 * evidence, else Inconclusive. A step analysed again (after Inconclusive or Error) goes on from the same
 * baseline with a new window, so its tests keep every request they saw.
 */
import type { AnalysisResult } from "../core/analysis";
import { assessMetric, worstVerdict } from "../core/analysis";
import { isAborted, type Clock } from "../core/clock";
import { errorMessage } from "../core/errors";
import type { LookDecision, MetricResult, ReleaseEvent, SequentialTestView } from "../core/events";
import { advance, baseline, workloadCounts, type CounterState, type StepCounts } from "../sequential/counts";
import { describeDecision, describeTest } from "../sequential/describe";
import { judgeStep, type Look, type SequentialPolicy, type TestEvidence } from "../sequential/judge";
import { durationBucketSeriesQuery, promqlRange, renderTemplate, requestCounterSeriesQuery, type WorkloadSelector } from "./promql";
import type { MetricsProvider } from "./provider";

/** What one step has seen so far (kept by the rollout between analyses of the same step). */
export interface StepTracker {
    stepIndex: number;
    /** Time of the baseline, ms since the epoch. */
    startMs: number;
    windowEndMs: number;
    canaryRequests: CounterState;
    canaryBuckets: CounterState;
    stableRequests: CounterState;
    stableBuckets: CounterState;
}

export interface SequentialStepSpec {
    reporter: "source" | "destination";
    service: string;
    namespace: string;
    canaryVersion: string;
    stableVersion: string;
    stepIndex: number;
    weight: number;
    windowMs: number;
    lookIntervalMs: number;
    policy: SequentialPolicy;
    custom: readonly { name: string; query: string; min?: number; max?: number }[];
}

export type LookEvent = Omit<Extract<ReleaseEvent, { type: "analysis-look" }>, "at" | "stack" | "service">;

export interface SequentialDeps {
    provider: MetricsProvider;
    clock: Clock;
    signal?: AbortSignal;
    emit: (e: LookEvent) => void;
}

/**
 * How long a new step waits before it reads its baseline, ms. The counters Prometheus holds when the step begins
 * were scraped up to one scrape interval earlier: the requests served in between, at the previous weight, would be
 * counted as this step's (at 200 req/s and a 1 s scrape, up to 180 stable requests in the window of a 100 % step, a
 * canary share of 94 % where 100 % applies, and the live-split check stops the rollout). A read one scrape interval
 * later, plus a quarter of it (at least 250 ms) for the scrape's own duration and ingestion, finds a scrape taken
 * after the step began.
 */
export function baselineDelayMs(lookIntervalMs: number): number {
    return lookIntervalMs + Math.max(250, Math.round(lookIntervalMs / 4));
}

type Snapshot = [CounterSeries, CounterSeries, CounterSeries, CounterSeries];
type CounterSeries = { labels: Record<string, string>; value: number }[];

async function scrape(provider: MetricsProvider, canary: WorkloadSelector, stable: WorkloadSelector, signal?: AbortSignal): Promise<Snapshot> {
    return Promise.all([
        provider.series(requestCounterSeriesQuery(canary), signal),
        provider.series(durationBucketSeriesQuery(canary), signal),
        provider.series(requestCounterSeriesQuery(stable), signal),
        provider.series(durationBucketSeriesQuery(stable), signal),
    ]);
}

const LOG10 = Math.log(10);
function log10Finite(logE: number): number {
    const v = logE / LOG10;
    return Number.isFinite(v) ? Math.round(v * 1000) / 1000 : v > 0 ? 99 : -99;
}

/** A test as the events carry it. */
export function testView(t: TestEvidence, latencyP95Ms: number): SequentialTestView {
    return {
        name: t.name,
        events: t.events,
        trials: t.trials,
        p0: t.p0,
        evidence: log10Finite(t.logEvidence),
        bound: log10Finite(t.logBound),
        crossed: t.crossed,
        ...(t.logPassEvidence !== undefined ? { passEvidence: log10Finite(t.logPassEvidence), passBound: log10Finite(t.logPassBound) } : {}),
        text: describeTest(t, latencyP95Ms),
    };
}

/** The step's tests as metric results (the `analysis` event and the report's table). */
function metricResults(look: Look, counts: StepCounts, latencyP95Ms: number): MetricResult[] {
    const pct = (x: number, n: number): number | null => (n > 0 ? (100 * x) / n : null);
    const d = look.decision;
    const out: MetricResult[] = [
        { name: "request-count", target: "canary", value: counts.canary.requests, unit: "requests", verdict: "Successful", reason: `${counts.canary.requests} canary requests since the step began` },
        { name: "request-success-rate", target: "canary", value: pct(counts.canary.requests - counts.canary.errors, counts.canary.requests), unit: "percent", verdict: "Successful", reason: "observed (judged by errors-vs-threshold)" },
        { name: "request-success-rate", target: "stable", value: pct(counts.stable.requests - counts.stable.errors, counts.stable.requests), unit: "percent", verdict: "Successful", reason: "stable (not judged)" },
        { name: "request-count", target: "stable", value: counts.stable.requests, unit: "requests", verdict: "Successful", reason: "stable (not judged)" },
    ];
    for (const t of look.tests) {
        const lacking = d.kind === "inconclusive" && d.lacking.includes(t.name);
        out.push({
            name: t.name,
            target: t.name.endsWith("-vs-stable") ? "comparison" : "canary",
            value: pct(t.passEvents ?? t.events, t.trials),
            unit: "percent",
            max: Math.round(t.p0 * 100 * 1000) / 1000,
            verdict: t.crossed ? "Failed" : lacking ? "Inconclusive" : "Successful",
            reason: describeTest(t, latencyP95Ms),
        });
    }
    return out;
}

/**
 * Analyses one step sequentially; returns its verdict and the tracker to continue from. Never throws for
 * a failed query: scrapes that fail are looks with decision "error"; a window with no successful scrape
 * at its end is an Error verdict.
 */
export async function analyzeStepSequentially(
    spec: SequentialStepSpec,
    deps: SequentialDeps,
    previous: StepTracker | undefined,
): Promise<{ result: AnalysisResult; tracker: StepTracker | undefined; aborted: boolean }> {
    const canary: WorkloadSelector = { reporter: spec.reporter, service: spec.service, namespace: spec.namespace, version: spec.canaryVersion };
    const stable: WorkloadSelector = { reporter: spec.reporter, service: spec.service, namespace: spec.namespace, version: spec.stableVersion };
    const now = (): number => deps.clock.now().getTime();
    let tracker = previous !== undefined && previous.stepIndex === spec.stepIndex ? { ...previous, windowEndMs: now() + spec.windowMs } : undefined;
    let lastError = "";
    const emitLook = (elapsedMs: number, canaryRequests: number, tests: SequentialTestView[], decision: LookDecision, reason: string): void =>
        deps.emit({ type: "analysis-look", stepIndex: spec.stepIndex, weight: spec.weight, elapsedMs, windowMs: spec.windowMs, canaryRequests, tests, decision, reason });

    // The baseline: the first successful scrape of the step, taken after the step began.
    if (tracker === undefined) {
        await deps.clock.sleep(baselineDelayMs(spec.lookIntervalMs), deps.signal);
        if (isAborted(deps.signal)) {
            return { result: { verdict: "Error", reason: "cancelled", metrics: [] }, tracker: undefined, aborted: true };
        }
    }
    const deadline = now() + spec.windowMs;
    while (tracker === undefined) {
        try {
            const [cr, cb, sr, sb] = await scrape(deps.provider, canary, stable, deps.signal);
            const t = now();
            tracker = { stepIndex: spec.stepIndex, startMs: t, windowEndMs: t + spec.windowMs, canaryRequests: baseline(cr), canaryBuckets: baseline(cb), stableRequests: baseline(sr), stableBuckets: baseline(sb) };
        } catch (err) {
            lastError = errorMessage(err);
            emitLook(0, 0, [], "error", `baseline scrape failed: ${lastError}`);
            if (now() >= deadline) {
                return { result: { verdict: "Error", reason: `no baseline of the step's counters: ${lastError}`, metrics: [] }, tracker: undefined, aborted: false };
            }
            await deps.clock.sleep(spec.lookIntervalMs, deps.signal);
            if (isAborted(deps.signal)) {
                return { result: { verdict: "Error", reason: "cancelled", metrics: [] }, tracker: undefined, aborted: true };
            }
        }
    }

    for (;;) {
        const wait = Math.max(0, Math.min(spec.lookIntervalMs, tracker.windowEndMs - now()));
        await deps.clock.sleep(wait, deps.signal);
        if (isAborted(deps.signal)) {
            return { result: { verdict: "Error", reason: "cancelled", metrics: [] }, tracker, aborted: true };
        }
        const t = now();
        const windowDone = t >= tracker.windowEndMs;
        let snapshot: Snapshot | undefined;
        try {
            snapshot = await scrape(deps.provider, canary, stable, deps.signal);
        } catch (err) {
            lastError = errorMessage(err);
        }
        if (snapshot === undefined) {
            emitLook(t - tracker.startMs, workloadCounts(tracker.canaryRequests, tracker.canaryBuckets, spec.policy.latencyP95Ms).requests, [], "error", `scrape failed (skipped; the next one carries its counts): ${lastError}`);
            if (windowDone) {
                return { result: { verdict: "Error", reason: `the last scrape of the window failed: ${lastError}`, metrics: [] }, tracker, aborted: false };
            }
            continue;
        }
        const [cr, cb, sr, sb] = snapshot;
        tracker = {
            ...tracker,
            canaryRequests: advance(tracker.canaryRequests, cr),
            canaryBuckets: advance(tracker.canaryBuckets, cb),
            stableRequests: advance(tracker.stableRequests, sr),
            stableBuckets: advance(tracker.stableBuckets, sb),
        };
        const counts: StepCounts = {
            canary: workloadCounts(tracker.canaryRequests, tracker.canaryBuckets, spec.policy.latencyP95Ms),
            stable: workloadCounts(tracker.stableRequests, tracker.stableBuckets, spec.policy.latencyP95Ms),
        };
        const look = judgeStep(counts, spec.policy, spec.weight, windowDone);
        const reason = describeDecision(look, spec.policy.latencyP95Ms, spec.policy.minRequests, counts.canary.requests);
        const views = look.tests.map((x) => testView(x, spec.policy.latencyP95Ms));
        emitLook(t - tracker.startMs, counts.canary.requests, views, look.decision.kind, reason);
        const metrics = metricResults(look, counts, spec.policy.latencyP95Ms);
        switch (look.decision.kind) {
            case "continue":
                continue;
            case "fail":
                return { result: { verdict: "Failed", reason, metrics }, tracker, aborted: false };
            case "inconclusive":
                return { result: { verdict: "Inconclusive", reason, metrics }, tracker, aborted: false };
            case "pass": {
                const custom = await judgeCustom(spec, deps, t - tracker.startMs);
                const all = [...metrics, ...custom];
                const verdict = worstVerdict(["Successful", ...custom.map((c) => c.verdict)]);
                const why = verdict === "Successful" ? reason : custom.filter((c) => c.verdict === verdict).map((c) => `${c.name} ${c.reason}`).join("; ");
                return { result: { verdict, reason: why, metrics: all }, tracker, aborted: false };
            }
            default: {
                const never: never = look.decision;
                return never;
            }
        }
    }
}

/** Custom checks, once, over the whole step (point values against their bounds, as in the fixed mode). */
async function judgeCustom(spec: SequentialStepSpec, deps: SequentialDeps, elapsedMs: number): Promise<MetricResult[]> {
    return Promise.all(
        spec.custom.map(async (c) => {
            const rendered = renderTemplate(c.query, { service: spec.service, namespace: spec.namespace, version: spec.canaryVersion, interval: promqlRange(Math.max(1000, elapsedMs)) });
            let m: { value: number | null } | { error: string };
            if (!rendered.ok) {
                m = { error: rendered.problems.join("; ") };
            } else {
                try {
                    m = { value: await deps.provider.instant(rendered.query, deps.signal) };
                } catch (err) {
                    m = { error: errorMessage(err) };
                }
            }
            return assessMetric(c.name, "canary", "number", m, { min: c.min, max: c.max });
        }),
    );
}
