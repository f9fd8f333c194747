/**
 * Verdict rules. Pure: measured values in, judged metrics and one verdict out (Argo's
 * `assessMetricStatus` / `assessRunStatus` in spirit).
 *
 * - A metric with no data (an empty result, NaN) is Inconclusive, never a pass.
 * - A query that failed is Error.
 * - Fewer canary requests in the window than `minRequests` makes the whole analysis Inconclusive: rates
 *   over a handful of requests decide nothing. A failed request-count query makes it Error.
 * - Otherwise the worst metric wins: Failed > Error > Inconclusive > Successful.
 * - Optional stable comparison (Kayenta-like): the canary's error rate may exceed stable's by at most
 *   `maxErrorRateIncrease` percentage points. Skipped at weight 100 (stable gets no traffic then).
 */
import type { MetricResult, Verdict } from "./events";

/** A measured value: a number, `null` for "no data", or the error of the query. */
export type Measurement = { value: number | null } | { error: string };

/** Bounds and limits of one analysis, from `release.analysis`. */
export interface AnalysisThresholds {
    /** Minimum canary success rate, percent. */
    successRate: number;
    /** Maximum canary p95 latency, ms. */
    latencyP95Ms: number;
    /** Minimum canary requests in the window. */
    minRequests: number;
    /** Allowed excess of canary error rate over stable's, percentage points; absent = no comparison. */
    maxErrorRateIncrease?: number;
    /** Custom metrics: pass when min <= value <= max. */
    custom: readonly { name: string; min?: number; max?: number }[];
}

export interface AnalysisMeasurements {
    canaryRequests: Measurement;
    canarySuccessRate: Measurement;
    canaryLatencyP95: Measurement;
    /** Needed for the comparison with stable. */
    stableSuccessRate?: Measurement;
    /** Measured for the report only. */
    stableLatencyP95?: Measurement;
    stableRequests?: Measurement;
    /** By custom metric name. */
    custom: Readonly<Record<string, Measurement>>;
}

export interface AnalysisResult {
    verdict: Verdict;
    /** One line: why this verdict. */
    reason: string;
    metrics: MetricResult[];
}

type Bounds = { min?: number; max?: number };

/** Judges one measured value against its bounds. */
export function assessMetric(
    name: string,
    target: MetricResult["target"],
    unit: MetricResult["unit"],
    measurement: Measurement,
    bounds: Bounds,
): MetricResult {
    const base = { name, target, unit, ...bounds };
    if ("error" in measurement) {
        return { ...base, value: null, verdict: "Error", reason: measurement.error };
    }
    const value = measurement.value;
    if (value === null || Number.isNaN(value)) {
        return { ...base, value: null, verdict: "Inconclusive", reason: "no data" };
    }
    const fmt = (n: number): string => String(round(n));
    if (bounds.min !== undefined && value < bounds.min) {
        return { ...base, value, verdict: "Failed", reason: `${fmt(value)} < ${bounds.min}` };
    }
    if (bounds.max !== undefined && value > bounds.max) {
        return { ...base, value, verdict: "Failed", reason: `${fmt(value)} > ${bounds.max}` };
    }
    const parts = [
        bounds.min !== undefined ? `${fmt(value)} >= ${bounds.min}` : undefined,
        bounds.max !== undefined ? `${fmt(value)} <= ${bounds.max}` : undefined,
    ].filter((p): p is string => p !== undefined);
    return { ...base, value, verdict: "Successful", reason: parts.length > 0 ? parts.join(", ") : `${fmt(value)} (no bound)` };
}

const SEVERITY: Record<Verdict, number> = { Successful: 0, Inconclusive: 1, Error: 2, Failed: 3 };

/** The worst verdict of a list (Successful for an empty list is never used: the built-ins always exist). */
export function worstVerdict(verdicts: readonly Verdict[]): Verdict {
    return verdicts.reduce<Verdict>((worst, v) => (SEVERITY[v] > SEVERITY[worst] ? v : worst), "Successful");
}

/** Judges one analysis of a step at canary weight `weight`. */
export function assessAnalysis(m: AnalysisMeasurements, t: AnalysisThresholds, weight: number): AnalysisResult {
    const requests = assessMetric("request-count", "canary", "requests", m.canaryRequests, { min: t.minRequests });
    const judged: MetricResult[] = [
        assessMetric("request-success-rate", "canary", "percent", m.canarySuccessRate, { min: t.successRate }),
        assessMetric("latency-p95", "canary", "ms", m.canaryLatencyP95, { max: t.latencyP95Ms }),
    ];
    if (t.maxErrorRateIncrease !== undefined && weight < 100) {
        judged.push(compareWithStable(m.canarySuccessRate, m.stableSuccessRate ?? { value: null }, t.maxErrorRateIncrease));
    }
    for (const c of t.custom) {
        judged.push(assessMetric(c.name, "canary", "number", m.custom[c.name] ?? { value: null }, { min: c.min, max: c.max }));
    }
    const informational: MetricResult[] = [];
    for (const [name, unit, value] of [
        ["request-success-rate", "percent", m.stableSuccessRate],
        ["latency-p95", "ms", m.stableLatencyP95],
        ["request-count", "requests", m.stableRequests],
    ] as const) {
        if (value !== undefined) {
            // Stable's own values are shown, not judged: a bad stable must not roll the canary back.
            const r = assessMetric(name, "stable", unit, value, {});
            informational.push({ ...r, verdict: r.verdict === "Error" ? "Error" : "Successful", reason: `stable (not judged): ${r.reason}` });
        }
    }
    const metrics = [requests, ...judged, ...informational];

    if (requests.verdict === "Error") {
        return { verdict: "Error", reason: `request count query failed: ${requests.reason}`, metrics };
    }
    if (requests.verdict !== "Successful") {
        const seen = requests.value === null ? "no requests recorded" : `${round(requests.value)} requests`;
        return { verdict: "Inconclusive", reason: `too few canary requests in the window: ${seen}, need ${t.minRequests}`, metrics };
    }
    const verdict = worstVerdict(judged.map((j) => j.verdict));
    const deciding = judged.filter((j) => j.verdict === verdict);
    const reason =
        verdict === "Successful"
            ? judged.map((j) => `${j.name} ${j.reason}`).join("; ")
            : deciding.map((j) => `${j.name} ${j.reason}`).join("; ");
    return { verdict, reason, metrics };
}

/** Canary error rate minus stable error rate, in percentage points, against the allowed increase. */
export function compareWithStable(canarySuccess: Measurement, stableSuccess: Measurement, maxIncrease: number): MetricResult {
    const name = "stable-error-rate-delta";
    if ("error" in canarySuccess || "error" in stableSuccess) {
        const error = "error" in canarySuccess ? canarySuccess.error : "error" in stableSuccess ? stableSuccess.error : "";
        return assessMetric(name, "comparison", "percentage-points", { error }, { max: maxIncrease });
    }
    if (canarySuccess.value === null || stableSuccess.value === null) {
        return assessMetric(name, "comparison", "percentage-points", { value: null }, { max: maxIncrease });
    }
    // (100 - canary) - (100 - stable)
    const delta = stableSuccess.value - canarySuccess.value;
    return assessMetric(name, "comparison", "percentage-points", { value: delta }, { max: maxIncrease });
}

function round(n: number): number {
    return Math.round(n * 100) / 100;
}
