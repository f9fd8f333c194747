/**
 * Text formatting shared by the terminal view and the summary. Pure; no ANSI here (colour is applied by
 * the terminal reporter on top, and only on a TTY).
 */
import type { MetricResult, UpdatePurpose, Verdict } from "../core/events";

/** Up to two decimals, no trailing zeros; "-" for no data. */
export function num(v: number | null | undefined): string {
    return v === null || v === undefined || !Number.isFinite(v) ? "-" : String(Math.round(v * 100) / 100);
}

/** `HH:MM:SS` (UTC) of an RFC 3339 time; the text itself when it does not parse. */
export function clockTime(iso: string): string {
    const t = Date.parse(iso);
    return Number.isNaN(t) ? iso : new Date(t).toISOString().slice(11, 19);
}

/** `250ms`, `3s`, `2.5s`, `1m05s`, `1h02m`. Negative values count as 0. */
export function duration(ms: number): string {
    const v = Math.max(0, ms);
    if (v < 1000) {
        return `${Math.round(v)}ms`;
    }
    if (v < 60_000) {
        return `${num(Math.round(v / 100) / 10)}s`;
    }
    const s = Math.round(v / 1000);
    if (s < 3600) {
        return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
    }
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

const UNIT: Record<MetricResult["unit"], string> = { percent: " %", ms: " ms", requests: " req", "percentage-points": " pp", number: "" };

/** A metric's value with its unit: `99.5 %`, `45 ms`, `30 req`, `no data`. */
export function metricValue(m: Pick<MetricResult, "value" | "unit">): string {
    // Prometheus' increase() extrapolates (46.25 requests); a count is shown in whole requests.
    return m.value === null ? "no data" : `${num(m.unit === "requests" ? Math.round(m.value) : m.value)}${UNIT[m.unit]}`;
}

/** A metric's pass bounds: `>= 99`, `<= 500`, `1..5`; empty when it has none. */
export function metricBound(m: Pick<MetricResult, "min" | "max">): string {
    if (m.min !== undefined && m.max !== undefined) {
        return `${num(m.min)}..${num(m.max)}`;
    }
    if (m.min !== undefined) {
        return `>= ${num(m.min)}`;
    }
    if (m.max !== undefined) {
        return `<= ${num(m.max)}`;
    }
    return "";
}

/**
 * One aligned row per metric: name, target, value, bound, verdict (and why, when it is not a pass).
 * Stable's values are shown as "(not judged)": they never decide.
 */
export function metricRows(metrics: readonly MetricResult[], indent = "    "): string[] {
    const cells = metrics.map((m) => {
        const judged = m.target !== "stable";
        const verdict = !judged ? "(not judged)" : m.verdict === "Successful" ? "ok" : `${m.verdict}: ${m.reason}`;
        return [m.name, m.target, metricValue(m), judged ? metricBound(m) : "", verdict];
    });
    const widths = [0, 1, 2, 3].map((i) => Math.max(0, ...cells.map((c) => (c[i] ?? "").length)));
    return cells.map((c) => {
        const [name, target, value, bound, verdict] = c;
        const row = [
            (name ?? "").padEnd(widths[0] ?? 0),
            (target ?? "").padEnd(widths[1] ?? 0),
            (value ?? "").padStart(widths[2] ?? 0),
            (bound ?? "").padEnd(widths[3] ?? 0),
            verdict ?? "",
        ].join("  ");
        return `${indent}${row}`.trimEnd();
    });
}

/** What an update does, in words: `shift to 10%`, `rollback`, `promotion 1/2 (routes)`. */
export function purposeText(purpose: UpdatePurpose, weight: number): string {
    switch (purpose) {
        case "shift":
            return `shift to ${weight}%`;
        case "promote-route":
            return "promotion 1/2 (stable := canary, routes)";
        case "promote-finalize":
            return "promotion 2/2 (canary subset removed)";
        case "rollback":
            return "rollback (all traffic to stable)";
        case "ab-test":
            return `A/B test (rest split ${weight}% to the canary)`;
        case "fault":
            return "fault injection";
        case "reapply":
            return "re-apply";
        default: {
            const never: never = purpose;
            return never;
        }
    }
}

/** `step 2/3 (50%)`; `step 2 (50%)` when the steps are not known. */
export function stepText(stepIndex: number, weight: number, steps: readonly number[] | undefined): string {
    if (steps !== undefined && steps.length > 0 && stepIndex >= steps.length) {
        // an inconsistent recorded state (machine.ts stateInconsistency): never "step 8/2"
        return `step index ${stepIndex}, past the ${steps.length} step${steps.length === 1 ? "" : "s"} (inconsistent)`;
    }
    const of = steps !== undefined && steps.length > 0 ? `/${steps.length}` : "";
    return `step ${stepIndex + 1}${of} (${weight}%)`;
}

/** A metric against its threshold in one phrase: `request-success-rate 99.5 % (>= 99)`. */
export function metricPhrase(m: MetricResult): string {
    const bound = metricBound(m);
    return `${m.name} ${metricValue(m)}${bound !== "" ? ` (${bound})` : ""}`;
}

export const VERDICTS: readonly Verdict[] = ["Successful", "Failed", "Error", "Inconclusive"];
