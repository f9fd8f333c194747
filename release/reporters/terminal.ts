/**
 * The human view of a rollout (pnpm-reporter style: events in, text out).
 *
 * - {@link reduceView} folds the event stream into a {@link LiveView} (pure).
 * - {@link eventLines} renders one event as log lines, given the view before it (pure, no ANSI).
 * - {@link liveBlock} renders the live status block for a time `now`: step, weight, the last analysis'
 *   metrics against their thresholds, and the time to the next decision (pure, no ANSI).
 * - {@link TerminalReporter} writes them: on a TTY the log lines scroll above a live block that is redrawn
 *   (ANSI cursor movement, colour unless NO_COLOR) and ticks every second; otherwise plain lines only, no
 *   ANSI at all, so a CI log or a file reads cleanly.
 *
 * Every text written passes through the {@link Redactor} (events carry no secrets; this is the second line
 * of defence).
 */
import type { RolloutState } from "../../contract/release";
import { Redactor } from "../../contract/redact";
import type { ReleaseEvent, UpdatePurpose } from "../core/events";
import { stepLabel } from "../core/machine";
import { formatEvidence } from "../sequential/describe";
import { clockTime, duration, metricRows, purposeText, stepText } from "./format";
import type { CliEvent, ServiceStatus, Write } from "./types";

type AnalysisEvent = Extract<ReleaseEvent, { type: "analysis" }>;
type LookEvent = Extract<ReleaseEvent, { type: "analysis-look" }>;

/** What is going on right now. */
export type Activity =
    | { kind: "idle" }
    | { kind: "update"; purpose: UpdatePurpose; weight: number; attempt: number; since: string }
    | { kind: "waiting"; stepIndex: number; weight: number; until: string; windowMs: number }
    | { kind: "retry"; purpose: UpdatePurpose; weight: number; at: string }
    | { kind: "finished"; outcome: string; exitCode: number };

export interface LiveView {
    stack: string;
    service: string;
    version: string;
    steps: number[];
    intervalMs: number;
    phase: RolloutState["phase"] | undefined;
    /** Index of the current step, -1 before the first. */
    stepIndex: number;
    /** Canary weight applied by the last successful update. */
    weight: number;
    activity: Activity;
    lastAnalysis: AnalysisEvent | undefined;
    /** Sequential mode: the last look of the current step (cleared when a step's analysis ends). */
    lastLook: LookEvent | undefined;
}

export function emptyView(stack = "", service = ""): LiveView {
    return { stack, service, version: "", steps: [], intervalMs: 0, phase: undefined, stepIndex: -1, weight: 0, activity: { kind: "idle" }, lastAnalysis: undefined, lastLook: undefined };
}

function appliedWeight(state: RolloutState): number {
    return state.phase === "Progressing" && state.stepApplied && state.stepIndex >= 0 ? (state.steps?.[state.stepIndex] ?? 0) : 0;
}

/** The view after one more event. Pure: returns a new object. */
export function reduceView(view: LiveView, e: CliEvent): LiveView {
    const v: LiveView = { ...view, stack: e.stack, service: e.service };
    switch (e.type) {
        case "rollout-started":
            return {
                ...v,
                version: e.version,
                steps: [...e.steps],
                intervalMs: e.intervalMs,
                phase: e.state.phase,
                stepIndex: e.state.stepIndex,
                weight: appliedWeight(e.state),
                activity: { kind: "idle" },
            };
        case "update-started":
            return { ...v, activity: { kind: "update", purpose: e.purpose, weight: e.weight, attempt: e.attempt, since: e.at } };
        case "update-finished":
            if (e.ok) {
                const weight = e.purpose === "shift" || e.purpose === "ab-test" ? e.weight : e.purpose === "fault" || e.purpose === "reapply" ? v.weight : 0;
                return { ...v, weight, activity: { kind: "idle" } };
            }
            return e.retryInMs !== undefined
                ? { ...v, activity: { kind: "retry", purpose: e.purpose, weight: e.weight, at: new Date(Date.parse(e.at) + e.retryInMs).toISOString() } }
                : { ...v, activity: { kind: "idle" } };
        case "step-applied":
            return { ...v, stepIndex: e.stepIndex, weight: e.weight, activity: { kind: "idle" } };
        case "analysis-waiting":
            return { ...v, stepIndex: e.stepIndex, activity: { kind: "waiting", stepIndex: e.stepIndex, weight: e.weight, until: e.until, windowMs: e.windowMs } };
        case "analysis":
            return { ...v, lastAnalysis: e, lastLook: undefined, activity: { kind: "idle" } };
        case "analysis-look":
            return { ...v, lastLook: e };
        case "state":
            return { ...v, phase: e.state.phase, stepIndex: e.state.stepIndex, version: v.version === "" ? e.state.version : v.version };
        case "rollout-finished":
            return { ...v, version: e.version || v.version, phase: e.state?.phase ?? v.phase, activity: { kind: "finished", outcome: e.outcome, exitCode: e.exitCode } };
        case "command-finished":
            return { ...v, activity: { kind: "finished", outcome: e.ok ? "ok" : "failed", exitCode: e.exitCode } };
        case "webhook":
        case "rollback-started":
        case "promotion-started":
        case "warning":
        case "hand-edit":
        case "status":
        case "gate-waiting":
        case "gate-decided":
            return v;
        default: {
            const never: never = e;
            return never;
        }
    }
}

/** An e-value from its log10, for people: "1.0", "31", "2,310", "4.1e+12". */
export function evidenceText(log10: number): string {
    return formatEvidence(log10 * Math.LN10);
}

/** `[######----]`: how far the evidence (log10) is towards its bound; full when it crossed. */
export function evidenceBar(evidence: number, bound: number, width = 10): string {
    const filled = Math.max(0, Math.min(width, Math.floor((Math.max(0, evidence) / bound) * width)));
    return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

/** One look: a compact line while it goes on; its decision in words when it ends the step. */
function lookLines(e: LookEvent, t: string): string[] {
    const head = `${t}   look at ${duration(e.elapsedMs)}/${duration(e.windowMs)}, ${Math.round(e.canaryRequests)} canary requests`;
    if (e.decision === "error") {
        return [`${head}: ${e.reason}`];
    }
    const compact = e.tests.map((x) => `${x.name} ${evidenceText(x.evidence)}/${evidenceText(x.bound)}`).join(", ");
    return e.decision === "continue" ? [`${head}: evidence/bound ${compact}`] : [`${head}: ${e.decision}: ${e.reason}`];
}

function counterText(e: AnalysisEvent): string {
    const c = e.counters;
    const l = e.limits;
    return `checks: failed ${c.failedChecks}/${l.failedChecks}, inconclusive ${c.inconclusiveChecks}/${l.inconclusiveChecks}, consecutive errors ${c.errorChecks}/${l.errorChecks} (count/limit; one more than the limit rolls back)`;
}

function statusLines(s: ServiceStatus, stack: string, service: string): string[] {
    // The weights of the stack config; the live object's split (hand edits included) is its own line.
    const lines = [
        `${service} on stack ${stack} (namespace ${s.namespace}); weights as configured:`,
        `  stable:  ${s.stableVersion} ${s.routed || s.canaryVersion === null ? `${100 - s.weight}%` : "100%"}`,
        `  canary:  ${s.canaryVersion === null ? "none" : `${s.canaryVersion} ${s.routed ? `${s.weight}%` : "0% (deployed, not routed)"}`}`,
    ];
    if (s.live !== undefined) {
        lines.push("error" in s.live ? `  live:    not read (${s.live.error})` : `  live:    ${s.live.object} sends ${s.live.canary}% to the canary`);
    }
    if (s.abTest !== null) {
        const flag = s.abTest.header !== undefined ? `header ${s.abTest.header}` : `cookie ${s.abTest.cookie ?? "?"}`;
        lines.push(`  A/B:     ${flag} = ${s.abTest.value ?? "enabled"} goes to the canary`);
    }
    if (s.faults !== null) {
        lines.push(`  faults:  ${JSON.stringify(s.faults)}`);
    }
    const st = s.state;
    if (st === null) {
        lines.push("  rollout: none recorded");
    } else {
        const steps = st.steps ?? [];
        if (s.stateProblem !== undefined) {
            // never "step 8/2": what is inconsistent, and the fix
            lines.push(`  rollout: ${st.version} ${st.phase}, inconsistent: ${s.stateProblem.problem}`);
            lines.push(`           fix: ${s.stateProblem.fix}`);
        } else {
            const step = st.stepIndex < 0 ? "before the first step" : stepText(st.stepIndex, steps[st.stepIndex] ?? 0, steps);
            lines.push(`  rollout: ${st.version} ${st.phase}, ${step}${st.phase === "Progressing" && !st.stepApplied && st.stepIndex >= 0 ? " (update not finished)" : ""}`);
        }
        lines.push(`           checks failed ${st.failedChecks}, inconclusive ${st.inconclusiveChecks}, consecutive errors ${st.errorChecks}; updated ${st.updatedAt}`);
        if (st.message !== undefined) {
            lines.push(`           ${st.message}`);
        }
    }
    if (s.analysis !== null) {
        lines.push(`  metrics over the last ${duration(s.analysis.windowMs)}: ${s.analysis.verdict}`);
        lines.push(...metricRows(s.analysis.metrics, "    "));
    }
    return lines;
}

/** The log lines of one event, given the view before it. Pure, no ANSI. Empty for events shown only live. */
export function eventLines(e: CliEvent, before: LiveView): string[] {
    const t = clockTime(e.at);
    const steps = before.steps.length > 0 ? before.steps : undefined;
    switch (e.type) {
        case "rollout-started": {
            const what = e.resumed
                ? `rollout resumed (${e.state.phase}, ${e.state.stepIndex < 0 ? "before the first step" : `at ${stepLabel(e.state, e.steps)}`})`
                : e.state.phase === "Progressing"
                  ? "rollout started"
                  : e.state.phase === "Promoting"
                    ? "promotion started"
                    : "rollback started";
            return [`${t} ${e.service} ${e.version} on stack ${e.stack}: ${what}; steps ${e.steps.join(",")} %, interval ${duration(e.intervalMs)}`];
        }
        case "update-started":
            return [`${t}   pulumi up: ${purposeText(e.purpose, e.weight)}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ""}`];
        case "update-finished":
            if (e.ok) {
                return [`${t}   pulumi up done in ${duration(e.durationMs)}: ${purposeText(e.purpose, e.weight)}`];
            }
            return [
                `${t}   pulumi up failed (attempt ${e.attempt}) after ${duration(e.durationMs)}: ${purposeText(e.purpose, e.weight)}: ${e.error ?? "unknown error"}` +
                    (e.retryInMs !== undefined ? `; retry in ${duration(e.retryInMs)}` : ""),
            ];
        case "step-applied":
            return [`${t} ${stepText(e.stepIndex, e.weight, steps)}: canary at ${e.weight}%`];
        case "analysis-waiting":
            return [`${t} ${stepText(e.stepIndex, e.weight, steps)}: measuring for ${duration(e.windowMs)}; next decision at ${clockTime(e.until)}`];
        case "analysis":
            return [`${t} ${stepText(e.stepIndex, e.weight, steps)}: analysis ${e.verdict}`, ...metricRows(e.metrics), `    ${counterText(e)}`];
        case "analysis-look":
            return lookLines(e, t);
        case "webhook":
            return [
                `${t} webhook ${e.hook} (${e.hookType}): ` +
                    (e.ok ? `ok${e.status !== undefined ? `, HTTP ${e.status}` : ""}` : `failed after ${e.attempts} attempt${e.attempts === 1 ? "" : "s"}: ${e.error ?? (e.status !== undefined ? `HTTP ${e.status}` : "refused")}`),
            ];
        case "state":
            return [];
        case "rollback-started":
            return [`${t} ${e.aborted ? "aborting" : "rolling back"}: ${e.reason}`];
        case "promotion-started":
            return [`${t} promoting ${before.version}: 2 updates (routes to stable first, then the canary subset goes)`];
        case "warning":
            return [`${t} warning: ${e.message}`];
        case "hand-edit":
            return [`${t} ${e.changesTraffic ? "warning" : "note"}: ${e.message}`];
        case "gate-waiting":
            return [
                `${t} ${stepText(e.stepIndex, e.weight, steps)}: paused at an approval gate (${e.approval}) until ${e.expiresAt} (then ${e.onTimeout}); the update will apply plan ${e.plan}:`,
                `    preview: ${e.summary}`,
                ...e.changes.map((c) => `    ${c}`),
                `    approve from any machine sharing the backend: ${e.approve}   (reject: the same with reject)`,
            ];
        case "gate-decided":
            return [
                `${t} ${stepText(e.stepIndex, e.weight, steps)}: gate ${e.decision === "still-waiting" ? "timed out; waiting on (onTimeout: wait)" : e.decision}` +
                    `${e.by !== undefined ? ` by ${e.by} (${e.kind ?? "?"})` : ""}${e.reason !== undefined ? `: ${e.reason}` : ""}`,
            ];
        case "rollout-finished":
            return [`${t} ${e.service} ${e.version}: ${e.outcome} (exit ${e.exitCode}): ${e.message}`];
        case "command-finished":
            return [`${t} ${e.service}: ${e.command} ${e.ok ? "done" : "failed"} (exit ${e.exitCode}): ${e.message}`, ...(e.hint !== undefined ? [`    hint: ${e.hint}`] : [])];
        case "status":
            return statusLines(e.status, e.stack, e.service);
        default: {
            const never: never = e;
            return never;
        }
    }
}

/** The live block for time `now`. Pure, no ANSI. Empty once the command finished or before anything started. */
export function liveBlock(view: LiveView, now: Date): string[] {
    const a = view.activity;
    if (a.kind === "finished" || view.version === "") {
        return [];
    }
    const steps = view.steps;
    const step = view.stepIndex < 0 ? `step 0/${steps.length}` : stepText(view.stepIndex, steps[view.stepIndex] ?? 0, steps);
    const lines = [`== ${view.service} ${view.version} on ${view.stack}: ${view.phase ?? "starting"}, ${step}, canary at ${view.weight}% ==`];
    const ms = (iso: string): number => Date.parse(iso) - now.getTime();
    switch (a.kind) {
        case "idle":
            lines.push("   deciding...");
            break;
        case "update":
            lines.push(`   pulumi up: ${purposeText(a.purpose, a.weight)}${a.attempt > 1 ? ` (attempt ${a.attempt})` : ""}, running for ${duration(-ms(a.since))}`);
            break;
        case "retry":
            lines.push(`   pulumi up failed: ${purposeText(a.purpose, a.weight)}; retry in ${duration(ms(a.at))}`);
            break;
        case "waiting":
            lines.push(`   measuring ${stepText(a.stepIndex, a.weight, steps)}: next decision in ${duration(ms(a.until))} (at ${clockTime(a.until)})`);
            break;
        default: {
            const never: never = a;
            return never;
        }
    }
    const look = view.lastLook;
    if (look !== undefined && look.tests.length > 0) {
        lines.push(`   sequential tests after ${duration(look.elapsedMs)} of ${duration(look.windowMs)}, ${Math.round(look.canaryRequests)} canary requests (evidence against its bound; the step stops when a bar is full):`);
        for (const test of look.tests) {
            lines.push(`     ${evidenceBar(test.evidence, test.bound)} ${test.name}: ${test.text}`);
        }
    }
    const last = view.lastAnalysis;
    if (last !== undefined) {
        lines.push(`   last analysis, ${stepText(last.stepIndex, last.weight, steps)} at ${clockTime(last.at)}: ${last.verdict}`);
        lines.push(...metricRows(last.metrics.filter((m) => m.target !== "stable"), "     "));
        lines.push(`     ${counterText(last)}`);
    }
    return lines;
}

// ---------------------------------------------------------------------------------------------
// The writer.

const ANSI = { reset: "\x1b[0m", bold: "\x1b[1m", dim: "\x1b[2m", red: "\x1b[31m", green: "\x1b[32m", yellow: "\x1b[33m", magenta: "\x1b[35m" };

/** Colours verdict words and outcomes on a TTY. */
export function colorize(line: string): string {
    return line
        .replace(/\b(Successful|promoted|done|ok)\b/g, `${ANSI.green}$1${ANSI.reset}`)
        .replace(/\b(Failed|failed|rolled-back|rolling back|aborted|aborting)\b/g, `${ANSI.red}$1${ANSI.reset}`)
        .replace(/\b(Inconclusive|warning)\b/g, `${ANSI.yellow}$1${ANSI.reset}`)
        .replace(/\b(Error)\b/g, `${ANSI.magenta}$1${ANSI.reset}`)
        .replace(/^(== .* ==)$/, `${ANSI.bold}$1${ANSI.reset}`);
}

export interface TerminalReporterOptions {
    write: Write;
    /** Live block + ANSI when true; plain lines otherwise. */
    tty: boolean;
    /** Colours on a TTY. Default true (the CLI turns it off for NO_COLOR). */
    color?: boolean;
    now?: () => Date;
    redactor?: Redactor;
    /** Redraw period of the live block, ms; 0 = no timer (tests redraw with `tick()`). Default 1000. */
    tickMs?: number;
}

export class TerminalReporter {
    private view: LiveView = emptyView();
    /** Lines of the live block on screen (TTY only). */
    private shown = 0;
    private timer: NodeJS.Timeout | undefined;
    private readonly now: () => Date;
    private readonly redactor: Redactor;

    constructor(private readonly opts: TerminalReporterOptions) {
        this.now = opts.now ?? (() => new Date());
        this.redactor = opts.redactor ?? new Redactor();
    }

    /** The event sink. Never throws. */
    readonly handle = (e: CliEvent): void => {
        try {
            const lines = eventLines(e, this.view);
            this.view = reduceView(this.view, e);
            this.render(lines);
        } catch {
            // a reporter must not stop a rollout
        }
    };

    /** Redraws the live block (the timer calls it). */
    tick(): void {
        this.render([]);
    }

    /** Stops the timer and removes the live block. */
    close(): void {
        if (this.timer !== undefined) {
            clearInterval(this.timer);
            this.timer = undefined;
        }
        if (this.opts.tty && this.shown > 0) {
            this.opts.write(`\x1b[${this.shown}A\x1b[J`);
            this.shown = 0;
        }
    }

    private render(log: readonly string[]): void {
        const clean = (l: string): string => this.redactor.redact(l);
        if (!this.opts.tty) {
            if (log.length > 0) {
                this.opts.write(log.map((l) => `${clean(l)}\n`).join(""));
            }
            return;
        }
        const color = this.opts.color ?? true;
        const paint = (l: string): string => (color ? colorize(clean(l)) : clean(l));
        const block = liveBlock(this.view, this.now());
        let out = this.shown > 0 ? `\x1b[${this.shown}A\x1b[J` : "";
        out += log.map((l) => `${paint(l)}\n`).join("");
        out += block.map((l) => `${paint(l)}\n`).join("");
        this.shown = block.length;
        if (out !== "") {
            this.opts.write(out);
        }
        this.schedule(block.length > 0);
    }

    private schedule(live: boolean): void {
        const tickMs = this.opts.tickMs ?? 1000;
        if (live && this.timer === undefined && tickMs > 0) {
            this.timer = setInterval(() => this.tick(), tickMs);
            this.timer.unref();
        } else if (!live && this.timer !== undefined) {
            clearInterval(this.timer);
            this.timer = undefined;
        }
    }
}
