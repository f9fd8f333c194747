/** Recorded-style event streams for the report tests: a promotion and a rollback at the first step. */
import type { MetricResult, ReleaseEvent } from "../../../release/core/events";
import type { RolloutState } from "../../../contract/release";
import { initialState } from "../../../release/core/machine";

const T0 = Date.parse("2026-01-01T10:00:00.000Z");

export function at(seconds: number): string {
    return new Date(T0 + seconds * 1000).toISOString();
}

export function state(over: Partial<RolloutState> = {}): RolloutState {
    return { ...initialState(over.version ?? "v2", [10, 50, 100], at(0)), ...over };
}

export function metrics(success: number | null, p95: number | null, requests: number | null, stable = true): MetricResult[] {
    const out: MetricResult[] = [
        { name: "request-count", target: "canary", unit: "requests", min: 20, value: requests, verdict: "Successful", reason: "ok" },
        {
            name: "request-success-rate",
            target: "canary",
            unit: "percent",
            min: 99,
            value: success,
            verdict: success === null ? "Inconclusive" : success >= 99 ? "Successful" : "Failed",
            reason: success === null ? "no data" : `${success} vs 99`,
        },
        { name: "latency-p95", target: "canary", unit: "ms", max: 500, value: p95, verdict: "Successful", reason: "ok" },
    ];
    if (stable) {
        out.push(
            { name: "request-success-rate", target: "stable", unit: "percent", value: 100, verdict: "Successful", reason: "stable" },
            { name: "latency-p95", target: "stable", unit: "ms", value: 40, verdict: "Successful", reason: "stable" },
            { name: "request-count", target: "stable", unit: "requests", value: 900, verdict: "Successful", reason: "stable" },
        );
    }
    return out;
}

type Body = ReleaseEvent extends infer E ? (E extends ReleaseEvent ? Omit<E, "at" | "stack" | "service"> : never) : never;

export function ev(seconds: number, body: Body, service = "sample-app", stack = "dev"): ReleaseEvent {
    return { ...body, at: at(seconds), stack, service } as ReleaseEvent;
}

const limits = { failedChecks: 0, inconclusiveChecks: 2, errorChecks: 2 };
const counters = { failedChecks: 0, inconclusiveChecks: 0, errorChecks: 0 };

export function promotedRun(service = "sample-app", version = "v2"): ReleaseEvent[] {
    const e = (s: number, b: Body): ReleaseEvent => ev(s, b, service);
    return [
        e(0, { type: "rollout-started", version, steps: [10, 50, 100], intervalMs: 3000, resumed: false, state: state({ version }) }),
        e(1, { type: "update-started", purpose: "shift", weight: 10, attempt: 1 }),
        e(2, { type: "update-finished", purpose: "shift", weight: 10, attempt: 1, ok: true, durationMs: 900 }),
        e(2, { type: "step-applied", stepIndex: 0, weight: 10 }),
        e(2, { type: "analysis-waiting", stepIndex: 0, weight: 10, until: at(5), windowMs: 3000 }),
        e(5, { type: "analysis", stepIndex: 0, weight: 10, verdict: "Successful", metrics: metrics(100, 45, 30), counters, limits }),
        e(6, { type: "update-finished", purpose: "shift", weight: 50, attempt: 1, ok: false, durationMs: 500, error: "boom", retryInMs: 1000 }),
        e(8, { type: "step-applied", stepIndex: 1, weight: 50 }),
        e(11, { type: "analysis", stepIndex: 1, weight: 50, verdict: "Inconclusive", metrics: metrics(null, null, 3), counters, limits }),
        e(14, { type: "analysis", stepIndex: 1, weight: 50, verdict: "Successful", metrics: metrics(99.5, 60, 150), counters, limits }),
        e(16, { type: "step-applied", stepIndex: 2, weight: 100 }),
        e(19, { type: "analysis", stepIndex: 2, weight: 100, verdict: "Successful", metrics: metrics(99.9, 55, 300, false), counters, limits }),
        e(19, { type: "webhook", hook: "ci", hookType: "confirm-promotion", ok: true, attempts: 1, status: 200 }),
        e(20, { type: "promotion-started" }),
        e(22, { type: "update-finished", purpose: "promote-route", weight: 0, attempt: 1, ok: true, durationMs: 1500 }),
        e(24, { type: "update-finished", purpose: "promote-finalize", weight: 0, attempt: 1, ok: true, durationMs: 1500 }),
        e(24, { type: "rollout-finished", version, outcome: "promoted", exitCode: 0, message: `${version} promoted`, state: null }),
    ];
}

export function rolledBackRun(service = "sample-app", version = "v3"): ReleaseEvent[] {
    const e = (s: number, b: Body): ReleaseEvent => ev(s, b, service);
    return [
        e(0, { type: "rollout-started", version, steps: [10, 50, 100], intervalMs: 3000, resumed: false, state: state({ version }) }),
        e(2, { type: "step-applied", stepIndex: 0, weight: 10 }),
        e(5, { type: "analysis", stepIndex: 0, weight: 10, verdict: "Failed", metrics: metrics(80.5, 45, 28), counters, limits }),
        e(5, { type: "rollback-started", reason: "request-success-rate 80.5 < 99", aborted: false }),
        e(7, { type: "update-finished", purpose: "rollback", weight: 0, attempt: 1, ok: true, durationMs: 1400 }),
        e(7, { type: "webhook", hook: "pager", hookType: "rollback", ok: false, attempts: 3, error: "timeout" }),
        e(7, { type: "rollout-finished", version, outcome: "rolled-back", exitCode: 1, message: "rolled back", state: null }),
    ];
}
