/**
 * Text of the environment fan-out: one progress line per finished stack, and the summary table at the end
 * (stack, phase, operation, outcome, seconds, summary; failed and held-back stacks named again below it).
 * Pure: events and results in, text out. Times are ISO 8601 in UTC ({@link isoUtc}).
 */
import type { FanoutEvent, FanoutResult } from "./run";

const secs = (ms: number): string => (ms / 1000).toFixed(1);

/** The line of one event, or undefined for events that print nothing. */
export function progressLine(e: FanoutEvent): string | undefined {
    switch (e.type) {
        case "phase-started":
            return `-- ${e.phase}: ${e.stacks} stack${e.stacks === 1 ? "" : "s"}`;
        case "stack-started":
            return undefined;
        case "stack-finished": {
            const r = e.result;
            return `[${e.index}/${e.total}] ${r.stack} ${r.op}: ${r.outcome}${r.outcome === "skipped" ? "" : ` in ${secs(r.durationMs)} s`} (${r.summary})`;
        }
        default: {
            const never: never = e;
            return never;
        }
    }
}

/** The summary table and the closing line. */
export function renderFanoutSummary(result: FanoutResult): string {
    const header = ["stack", "phase", "op", "outcome", "s", "summary"];
    const rows = result.results.map((r) => [r.stack, r.phase, r.op, r.outcome, r.outcome === "skipped" ? "-" : secs(r.durationMs), r.summary]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => Math.min((row[i] ?? "").length, i === 5 ? 80 : 60))));
    const line = (cells: string[]): string =>
        cells
            .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
            .join("  ")
            .trimEnd();
    const count = (o: string): number => result.results.filter((r) => r.outcome === o).length;
    const failed = result.results.filter((r) => r.outcome === "failed").map((r) => r.stack);
    const skipped = result.results.filter((r) => r.outcome === "skipped").map((r) => r.stack);
    const out = [line(header), ...rows.map(line), ""];
    out.push(
        `environment ${result.env}: ${count("ok")} ok, ${failed.length} failed, ${skipped.length} held back, in ${secs(result.durationMs)} s (exit ${result.exitCode})`,
    );
    if (failed.length > 0) {
        out.push(`failed: ${failed.join(", ")}`);
    }
    if (skipped.length > 0) {
        out.push(`held back: ${skipped.join(", ")}`);
    }
    return `${out.join("\n")}\n`;
}

/** A time as ISO 8601 in UTC (`2026-01-01T00:00:00.000Z`); text that is no time is kept as it is. */
export function isoUtc(time: Date | string): string {
    const t = typeof time === "string" ? Date.parse(time) : time.getTime();
    return Number.isFinite(t) ? new Date(t).toISOString() : String(time);
}

/**
 * The summary of `env status` for one stack: its last update and whether a release holds its lease, every
 * time in ISO 8601 (UTC).
 */
export function stackStatusSummary(
    last: { kind: string; result: string; startTime: Date; endTime?: Date } | undefined,
    lease: { holder: string; started: string; heartbeat: string; released?: unknown } | { unreadable: string } | undefined,
): string {
    const leaseText =
        lease === undefined || ("released" in lease && lease.released !== undefined)
            ? "no release running"
            : "unreadable" in lease
              ? `a lease this version cannot read: ${lease.unreadable}`
              : `release running: ${lease.holder} since ${isoUtc(lease.started)}, heartbeat ${isoUtc(lease.heartbeat)}`;
    const lastText = last === undefined ? "never updated" : `last ${last.kind} ${last.result} at ${isoUtc(last.endTime ?? last.startTime)}`;
    return `${lastText}; ${leaseText}`;
}
