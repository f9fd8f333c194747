/**
 * Runs an environment fan-out plan (plan.ts) through an {@link EnvDriver}: the phases in order, the stacks of a
 * phase with at most `concurrency` at a time, a typed event per stack (progress), and a result per stack
 * (the summary table). A failing stack never stops or rolls back the others; it only holds back what make
 * before break forbids after it:
 * - a new service stack that failed (`make`) holds back the platform stack (its root route would point at no
 *   delegate), and so the removals (`break`);
 * - a platform stack that failed holds back the removals (their root routes may still be live).
 * The service stacks of the `update` phase run in every case (they read the platform's last good outputs).
 */
import { ExitCode } from "../core/errors";
import type { EnvPlan, PhaseName, PlannedStack, StackOp } from "./plan";

/** What one stack operation reports. */
export interface StackOpResult {
    /** e.g. "3 updated, 10 unchanged", or a status line. */
    summary: string;
}

/** The stacks of an environment on a backend. The Automation API one is release/driver/envStacks.ts. */
export interface EnvDriver {
    run(stack: string, op: StackOp, signal?: AbortSignal): Promise<StackOpResult>;
}

export type StackOutcome = "ok" | "failed" | "skipped";

export interface StackResult extends PlannedStack {
    phase: PhaseName;
    outcome: StackOutcome;
    durationMs: number;
    summary: string;
}

export type FanoutEvent =
    | { type: "phase-started"; phase: PhaseName; stacks: number }
    | { type: "stack-started"; phase: PhaseName; stack: string; op: StackOp; index: number; total: number }
    | { type: "stack-finished"; result: StackResult; index: number; total: number };

export interface FanoutResult {
    env: string;
    results: StackResult[];
    exitCode: ExitCode;
    durationMs: number;
}

export interface FanoutOptions {
    concurrency: number;
    emit?: (e: FanoutEvent) => void;
    signal?: AbortSignal;
    now?: () => number;
}

/** Runs `tasks` with at most `limit` at a time, in order of start. */
export async function boundedAll<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < items.length) {
            const i = next++;
            await task(items[i] as T, i);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker()));
}

function firstLine(err: unknown): string {
    const text = err instanceof Error ? err.message : String(err);
    return text.split("\n").find((l) => l.trim() !== "")?.trim().slice(0, 1200) ?? "failed";
}

export async function runFanout(plan: EnvPlan, driver: EnvDriver, opts: FanoutOptions): Promise<FanoutResult> {
    const now = opts.now ?? Date.now;
    const emit = (e: FanoutEvent): void => {
        try {
            opts.emit?.(e);
        } catch {
            // a reporter must not stop the fan-out
        }
    };
    const started = now();
    const total = plan.phases.reduce((n, p) => n + p.stacks.length, 0);
    const results: StackResult[] = [];
    let index = 0;
    const failedIn = (phase: PhaseName): string[] => results.filter((r) => r.phase === phase && r.outcome !== "ok").map((r) => r.stack);

    for (const phase of plan.phases) {
        const holdBack = (): string | undefined => {
            if (plan.op !== "up") {
                return undefined;
            }
            const make = failedIn("make");
            if ((phase.name === "platform" || phase.name === "break") && make.length > 0) {
                return `held back: new service stack${make.length > 1 ? "s" : ""} ${make.join(", ")} failed, and the platform's root route${make.length > 1 ? "s" : ""} would point at no delegate (make before break)`;
            }
            const platform = failedIn("platform");
            if (phase.name === "break" && platform.length > 0) {
                return `held back: the platform stack ${platform.join(", ")} did not update, so its root route to this service may still be live (make before break)`;
            }
            return undefined;
        };
        emit({ type: "phase-started", phase: phase.name, stacks: phase.stacks.length });
        const reason = holdBack();
        if (reason !== undefined) {
            for (const s of phase.stacks) {
                const result: StackResult = { ...s, phase: phase.name, outcome: "skipped", durationMs: 0, summary: reason };
                results.push(result);
                emit({ type: "stack-finished", result, index: ++index, total });
            }
            continue;
        }
        await boundedAll(phase.stacks, phase.name === "platform" ? 1 : opts.concurrency, async (s) => {
            const i = ++index;
            emit({ type: "stack-started", phase: phase.name, stack: s.stack, op: s.op, index: i, total });
            const t0 = now();
            let result: StackResult;
            if (opts.signal?.aborted === true) {
                result = { ...s, phase: phase.name, outcome: "skipped", durationMs: 0, summary: "not started: interrupted" };
            } else {
                try {
                    const r = await driver.run(s.stack, s.op, opts.signal);
                    result = { ...s, phase: phase.name, outcome: "ok", durationMs: now() - t0, summary: r.summary };
                } catch (err) {
                    result = { ...s, phase: phase.name, outcome: "failed", durationMs: now() - t0, summary: firstLine(err) };
                }
            }
            results.push(result);
            emit({ type: "stack-finished", result, index: i, total });
        });
    }
    const bad = results.some((r) => r.outcome !== "ok");
    // In plan order (phase, then the stack's place in it), whatever order they finished in.
    const order = new Map(plan.phases.flatMap((p) => p.stacks.map((s) => `${p.name}:${s.stack}`)).map((k, i) => [k, i]));
    results.sort((a, b) => (order.get(`${a.phase}:${a.stack}`) ?? 0) - (order.get(`${b.phase}:${b.stack}`) ?? 0));
    return { env: plan.env, results, exitCode: bad ? ExitCode.Infrastructure : ExitCode.Ok, durationMs: now() - started };
}
