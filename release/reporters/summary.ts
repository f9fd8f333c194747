/**
 * The final summary of a rollout command, printed after the live view. Pure: the rollout report (the fold
 * of the events, release/report/collect.ts) and the command's result in, text out.
 */
import type { RolloutReport } from "../core/events";
import { clockTime, duration, metricPhrase, num } from "./format";

export interface SummaryInput {
    /** The fold of the run's events; undefined when the command failed before the rollout started. */
    report: RolloutReport | undefined;
    /** The command's result (release/rollout/types.ts RolloutResult). */
    result: { outcome: string; exitCode: number; message: string; hint?: string };
    /** The HTML report written with `--report`. */
    reportPath?: string;
}

/** The summary text, newline-terminated. */
export function renderSummary(input: SummaryInput): string {
    const { report: r, result } = input;
    const lines: string[] = [];
    const head = r !== undefined && r.version !== "" ? `${r.service} ${r.version} on stack ${r.stack}` : r !== undefined ? `${r.service} on stack ${r.stack}` : "";
    lines.push(`Summary${head !== "" ? `: ${head}` : ""}`);
    lines.push(`  outcome:   ${result.outcome} (exit ${result.exitCode})`);
    lines.push(`  message:   ${result.message.split("\n").join("\n             ")}`);
    if (r !== undefined && r.startedAt !== "") {
        const end = r.finishedAt ?? r.startedAt;
        lines.push(`  duration:  ${duration(Date.parse(end) - Date.parse(r.startedAt))} (${clockTime(r.startedAt)} to ${clockTime(end)} UTC)`);
        const applied = r.weights.map((w) => `${w.weight}%`);
        const path = applied.length > 0 ? applied.join(" -> ") : "none applied";
        lines.push(`  weights:   ${path}${r.steps.length > 0 ? ` (steps ${r.steps.join(",")} %)` : ""}`);
        const count = (v: string): number => r.samples.filter((s) => s.verdict === v).length;
        lines.push(
            `  analyses:  ${r.samples.length} (${count("Successful")} successful, ${count("Failed")} failed, ${count("Inconclusive")} inconclusive, ${count("Error")} error)`,
        );
        lines.push(`  canary requests in analysis windows: ${num(Math.round(r.canaryRequestsInWindows))}`);
        const last = r.samples[r.samples.length - 1];
        if (last !== undefined) {
            const judged = last.metrics.filter((m) => m.target !== "stable");
            lines.push(`  last analysis (${last.weight}%, ${last.verdict}): ${judged.map(metricPhrase).join("; ")}`);
        }
    }
    for (const edit of r?.handEdits ?? []) {
        lines.push(`  hand edit: ${edit.message}`);
    }
    if (result.hint !== undefined) {
        lines.push(`  hint:      ${result.hint}`);
    }
    if (input.reportPath !== undefined) {
        lines.push(`  report:    ${input.reportPath}`);
    }
    return `${lines.join("\n")}\n`;
}
