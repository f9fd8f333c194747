/**
 * Builds the rollout report ({@link RolloutReport}, schema version 1) from the event stream. Pure: a fold
 * over {@link ReleaseEvent}s, so the same events always give the same report, and a reporter can feed
 * it live (`reportSink`) or a test can feed it a recorded `--json` stream.
 *
 * Thresholds are not in the events as such: they are read from the bounds of the first analysis'
 * judged canary metrics (`request-success-rate` min, `latency-p95` max, `request-count` min), and
 * fall back to the given defaults (the seed's 95 % / 1000 ms) until an analysis has run.
 */
import type { RolloutState } from "../../contract/release";
import type { EventSink, MetricResult, ReleaseEvent, ReportSample, RolloutReport } from "../core/events";

export interface CollectOptions {
    /** Thresholds used until an analysis reports its bounds. Default: success 95 %, p95 1000 ms, 0 requests. */
    thresholds?: RolloutReport["thresholds"];
}

const DEFAULT_THRESHOLDS: RolloutReport["thresholds"] = { successRate: 95, latencyP95Ms: 1000, minRequests: 0 };

/** An empty report for a rollout that has not started yet. */
export function emptyReport(stack: string, service: string, opts: CollectOptions = {}): RolloutReport {
    return {
        schemaVersion: 1,
        stack,
        service,
        version: "",
        steps: [],
        intervalMs: 0,
        thresholds: { ...(opts.thresholds ?? DEFAULT_THRESHOLDS) },
        startedAt: "",
        finishedAt: null,
        outcome: null,
        exitCode: null,
        message: null,
        weights: [],
        samples: [],
        marks: [],
        canaryRequestsInWindows: 0,
    };
}

function metricValue(metrics: readonly MetricResult[], name: string, target: MetricResult["target"]): number | null {
    return metrics.find((m) => m.name === name && m.target === target)?.value ?? null;
}

function thresholdsFrom(metrics: readonly MetricResult[], current: RolloutReport["thresholds"]): RolloutReport["thresholds"] {
    const bound = (name: string, key: "min" | "max"): number | undefined =>
        metrics.find((m) => m.name === name && m.target === "canary")?.[key];
    return {
        successRate: bound("request-success-rate", "min") ?? current.successRate,
        latencyP95Ms: bound("latency-p95", "max") ?? current.latencyP95Ms,
        minRequests: bound("request-count", "min") ?? current.minRequests,
    };
}

/**
 * The weight of the version under release when a rollout (re)starts: the current step's once it was applied,
 * also while a rollback or a promotion has not taken it away yet (a rerun after a failed rollback must not
 * claim 0 % while the step's weight is live); 100 once the first promotion update made it stable.
 */
function startWeight(state: RolloutState): number {
    if (state.phase === "Promoting" && state.promotionStage === 1) {
        return 100;
    }
    const live = state.phase === "Progressing" || state.phase === "RollingBack" || state.phase === "Promoting";
    return live && state.stepApplied && state.stepIndex >= 0 ? (state.steps?.[state.stepIndex] ?? 0) : 0;
}

/** The weight last applied, or undefined before the first. */
function lastWeight(r: RolloutReport): number | undefined {
    return r.weights[r.weights.length - 1]?.weight;
}

/**
 * One event applied to a report; returns a new report (the input is not changed). Events of other
 * services or stacks than the report's are ignored.
 */
export function applyEvent(report: RolloutReport, e: ReleaseEvent): RolloutReport {
    if (e.service !== report.service || e.stack !== report.stack) {
        return report;
    }
    const r: RolloutReport = {
        ...report,
        weights: [...report.weights],
        samples: [...report.samples],
        marks: [...report.marks],
    };
    const pushWeight = (weight: number): void => {
        if (lastWeight(r) !== weight) {
            r.weights.push({ at: e.at, weight });
        }
    };
    switch (e.type) {
        case "rollout-started":
            r.version = e.version;
            r.steps = [...e.steps];
            r.intervalMs = e.intervalMs;
            if (r.startedAt === "") {
                r.startedAt = e.at;
                pushWeight(startWeight(e.state));
            } else {
                r.marks.push({ at: e.at, kind: "warning", label: "resumed" });
            }
            return r;
        case "step-applied":
            pushWeight(e.weight);
            r.marks.push({ at: e.at, kind: "step", label: `step ${e.stepIndex + 1}: ${e.weight}%` });
            return r;
        case "analysis": {
            if (r.samples.length === 0) {
                r.thresholds = thresholdsFrom(e.metrics, r.thresholds);
            }
            const sample: ReportSample = {
                at: e.at,
                stepIndex: e.stepIndex,
                weight: e.weight,
                verdict: e.verdict,
                canary: {
                    successRate: metricValue(e.metrics, "request-success-rate", "canary"),
                    latencyP95Ms: metricValue(e.metrics, "latency-p95", "canary"),
                    requests: metricValue(e.metrics, "request-count", "canary"),
                },
                stable: {
                    successRate: metricValue(e.metrics, "request-success-rate", "stable"),
                    latencyP95Ms: metricValue(e.metrics, "latency-p95", "stable"),
                    requests: metricValue(e.metrics, "request-count", "stable"),
                },
                metrics: e.metrics,
            };
            r.samples.push(sample);
            r.canaryRequestsInWindows += sample.canary.requests ?? 0;
            return r;
        }
        case "update-finished":
            if (!e.ok) {
                r.marks.push({ at: e.at, kind: "update-failed", label: `${e.purpose} update failed (attempt ${e.attempt})` });
            } else if (e.purpose === "rollback") {
                pushWeight(0);
            } else if (e.purpose === "promote-route") {
                pushWeight(100); // the promoted version is stable now: it takes all traffic
            }
            return r;
        case "webhook":
            if (!e.ok) {
                r.marks.push({ at: e.at, kind: "webhook-failed", label: `${e.hookType} webhook ${e.hook} failed` });
            }
            return r;
        case "rollback-started":
            r.marks.push({ at: e.at, kind: "rollback", label: `${e.aborted ? "abort" : "rollback"}: ${e.reason}` });
            return r;
        case "promotion-started":
            r.marks.push({ at: e.at, kind: "promotion", label: "promotion" });
            return r;
        case "warning":
            r.marks.push({ at: e.at, kind: "warning", label: e.message });
            return r;
        case "hand-edit":
            r.handEdits = [...(report.handEdits ?? []), { at: e.at, object: e.object, live: e.live, writes: e.writes, changesTraffic: e.changesTraffic, message: e.message }];
            r.marks.push({ at: e.at, kind: "warning", label: `hand edit overwritten: ${e.object} ${e.live}% -> ${e.writes}%` });
            return r;
        case "rollout-finished":
            r.version = e.version;
            r.finishedAt = e.at;
            r.outcome = e.outcome;
            r.exitCode = e.exitCode;
            r.message = e.message;
            if (r.startedAt === "") {
                r.startedAt = e.at;
            }
            return r;
        case "analysis-look":
            r.looks = [...(report.looks ?? []), { at: e.at, stepIndex: e.stepIndex, weight: e.weight, elapsedMs: e.elapsedMs, decision: e.decision, reason: e.reason, tests: e.tests }];
            return r;
        case "gate-waiting":
            r.marks.push({ at: e.at, kind: "gate", label: `gate before step ${e.stepIndex + 1} (${e.weight}%): waiting for approval of plan ${e.plan.slice(0, 19)}` });
            return r;
        case "gate-decided":
            r.marks.push({ at: e.at, kind: "gate", label: `gate before step ${e.stepIndex + 1} (${e.weight}%): ${e.decision}${e.by !== undefined ? ` by ${e.by}` : ""}` });
            return r;
        case "update-started":
        case "analysis-waiting":
        case "state":
            return r;
        default: {
            const never: never = e;
            return never;
        }
    }
}

/** The report of a whole event stream, for the stack and service of its first event; undefined for no events. */
export function collectReport(events: readonly ReleaseEvent[], opts: CollectOptions = {}): RolloutReport | undefined {
    const first = events[0];
    if (first === undefined) {
        return undefined;
    }
    return events.reduce(applyEvent, emptyReport(first.stack, first.service, opts));
}

/**
 * An {@link EventSink} that keeps the report up to date; `report()` returns the latest (undefined before
 * the first event). One rollout per sink.
 */
export function reportSink(opts: CollectOptions = {}): { sink: EventSink; report: () => RolloutReport | undefined } {
    let report: RolloutReport | undefined;
    return {
        sink: (e) => {
            report = applyEvent(report ?? emptyReport(e.stack, e.service, opts), e);
        },
        report: () => report,
    };
}
