/**
 * The rollout orchestrator: the thin I/O loop around the pure state machine. It reads the recorded state,
 * asks `decide` for the next action, performs it through the driver (config + update), the metrics
 * provider (analysis) and webhooks, feeds the outcome to `transition`, records the new state in the stack
 * config, and emits typed events. It holds no rollout logic of its own.
 *
 * Recording rule: the state written with an update is the state *before* it succeeds (`stepApplied:false`,
 * `RollingBack`, `Promoting`); the state after it is written once it has succeeded. A process killed at
 * any point therefore re-runs the unfinished update and never believes a step, a rollback or a promotion
 * happened when it did not.
 */
import { assessAnalysis } from "./analysis";
import { isAborted, systemClock, type Clock } from "./clock";
import type { RolloutState } from "./config";
import { DriverError, type ConfigEdit, type TrafficDriver } from "./driver/driver";
import { promoteFinalizeEdits, promoteRouteEdits, rollbackEdits, shiftEdits, stateEdit, applyEdits } from "./edits";
import { ExitCode, Redactor, ReleaseError, configError, errorMessage, type ConfigProblem } from "./errors";
import type { EventSink, Outcome, ReleaseEvent, UpdatePurpose } from "./events";
import { currentWeight, decide, planStart, transition, type MachineEvent } from "./machine";
import { measure } from "./metrics/istio";
import type { MetricsProvider } from "./metrics/provider";
import { resolvePolicy, serviceContext, versionProblem, type PolicyOverrides, type ReleasePolicy, type ServiceContext } from "./policy";
import { callWebhook, isGate, type WebhookType } from "./webhooks";


/** Checks a whole stack config after the edits a command is about to write; the CLI wires the stack schema. */
export type ConfigValidator = (config: Record<string, unknown>) => ConfigProblem[];

export interface ReleaseDeps {
    driver: TrafficDriver;
    /** Built from the resolved policy (the Prometheus settings live in the stack config). */
    metrics: (policy: ReleasePolicy, redactor: Redactor) => MetricsProvider;
    emit: EventSink;
    clock?: Clock;
    /** Aborting it (SIGINT/SIGTERM) cancels the running update and rolls back. */
    signal?: AbortSignal;
    /** Validates the config a command would write, before anything is written. */
    validate?: ConfigValidator;
    fetch?: typeof fetch;
    /** Who holds the lock (shown to a second release). */
    holder?: string;
    /** Seconds to wait after a signal for an update to stop before asking the backend to cancel it. Default 10. */
    cancelGraceMs?: number;
}

export interface CanaryRequest {
    service: string;
    version: string;
    overrides?: PolicyOverrides;
}

export interface RolloutResult {
    outcome: Outcome;
    exitCode: ExitCode;
    message: string;
    hint?: string;
    state: RolloutState | null;
}

/** Runs (or resumes) a canary rollout to promotion or rollback. Never throws: failures are a result. */
export async function runCanary(req: CanaryRequest, deps: ReleaseDeps): Promise<RolloutResult> {
    const run = new RolloutRun(req, deps);
    return run.execute();
}

class RolloutRun {
    private readonly clock: Clock;
    private readonly redactor = new Redactor();
    private state: RolloutState | null = null;
    private policy!: ReleasePolicy;
    private ctx!: ServiceContext;
    private metrics!: MetricsProvider;
    private config: Record<string, unknown> = {};

    constructor(
        private readonly req: CanaryRequest,
        private readonly deps: ReleaseDeps,
    ) {
        this.clock = deps.clock ?? systemClock;
    }

    private now(): string {
        return this.clock.now().toISOString();
    }

    private emit(event: DistributiveOmit<ReleaseEvent, "at" | "stack" | "service">): void {
        const full = { ...event, at: this.now(), stack: this.deps.driver.stackName, service: this.req.service } as ReleaseEvent;
        try {
            this.deps.emit(this.redactor.redactValue(full));
        } catch {
            // a reporter must not stop a rollout
        }
    }

    async execute(): Promise<RolloutResult> {
        let unlock: (() => Promise<void>) | undefined;
        try {
            unlock = await this.deps.driver.lock(this.deps.holder ?? `mesh-release canary ${this.req.service} ${this.req.version} (pid ${process.pid})`);
            return await this.rollout();
        } catch (err) {
            return this.fail(err);
        } finally {
            await unlock?.().catch(() => undefined);
        }
    }

    private async rollout(): Promise<RolloutResult> {
        const { service, version } = this.req;
        const stack = this.deps.driver.stackName;
        const snapshot = await this.deps.driver.read();
        this.redactor.add(...snapshot.secrets);
        this.config = snapshot.config;

        const problems: ConfigProblem[] = [];
        const vp = versionProblem("--version", version);
        if (vp !== undefined) {
            problems.push(vp);
        }
        const ctx = serviceContext(snapshot.config, service, problems);
        let policy: ReleasePolicy | undefined;
        try {
            policy = resolvePolicy(stack, snapshot.config.release, this.req.overrides);
        } catch (err) {
            if (!(err instanceof ReleaseError)) {
                throw err;
            }
            problems.push(...err.problems);
        }
        if (ctx !== undefined && ctx.stableVersion === version) {
            problems.push({ propertyPath: "--version", reason: `--version is ${JSON.stringify(version)}, which is already the stable version of ${service}; deploy a new version` });
        }
        if (problems.length > 0 || ctx === undefined || policy === undefined) {
            throw configError(`stack ${stack}, service ${service}: cannot start the rollout`, problems);
        }
        this.ctx = ctx;
        this.policy = policy;
        this.redactor.add(policy.prometheus.bearerToken, policy.prometheus.basicAuth?.password);

        const plan = planStart(ctx.state, version, policy.steps, this.now());
        switch (plan.kind) {
            case "refuse":
                throw new ReleaseError({ code: "ROLLOUT_CONFLICT", message: `stack ${stack}, service ${service}: ${plan.reason}`, hint: plan.hint, exitCode: ExitCode.Usage });
            case "noop":
                this.state = plan.state;
                return this.finish("promoted", plan.reason, undefined, false);
            case "start":
            case "resume":
                break;
            default: {
                const never: never = plan;
                return never;
            }
        }
        this.state = plan.state;
        const steps = plan.state.steps ?? policy.steps;
        // Validate what the first update would write, before anything is written.
        const firstWeight = steps[Math.max(0, plan.state.stepIndex)] ?? 0;
        this.validate(shiftEdits(service, version, firstWeight, plan.state));
        this.metrics = this.deps.metrics(policy, this.redactor);

        this.emit({ type: "rollout-started", version, steps: [...steps], intervalMs: policy.intervalMs, resumed: plan.kind === "resume", state: plan.state });
        if (plan.kind === "start") {
            const gate = await this.hooks("pre-rollout");
            if (!gate.ok) {
                // Nothing was applied: the rollout ends here, the stack untouched.
                return this.finish("rolled-back", `pre-rollout webhook refused: ${gate.reason}`, undefined, false);
            }
        }
        return this.loop();
    }

    private validate(edits: readonly ConfigEdit[]): void {
        const problems = this.deps.validate?.(applyEdits(this.config, edits)) ?? [];
        if (problems.length > 0) {
            throw configError(`stack ${this.deps.driver.stackName}: the config this rollout would write is invalid`, problems);
        }
    }

    private async loop(): Promise<RolloutResult> {
        for (;;) {
            const state = this.requireState();
            if (isAborted(this.deps.signal) && state.phase === "Progressing") {
                await this.apply({ type: "abort", reason: "interrupted by a signal" });
                continue;
            }
            const action = decide(state, this.policy.machine);
            switch (action.type) {
                case "shift":
                    await this.shift(action.stepIndex, action.weight);
                    break;
                case "analyze":
                    await this.analyze(action.stepIndex, action.weight);
                    break;
                case "confirm-promotion": {
                    const gate = await this.hooks("confirm-promotion");
                    await this.apply({ type: "gate", hookType: "confirm-promotion", ok: gate.ok, reason: gate.reason });
                    break;
                }
                case "promote":
                    await this.promote(action.stage);
                    break;
                case "rollback":
                    return this.rollback(action.reason);
                case "done":
                    return this.finish(action.outcome, state.message ?? action.outcome);
                default: {
                    const never: never = action;
                    return never;
                }
            }
        }
    }

    private requireState(): RolloutState {
        if (this.state === null) {
            throw new Error("no rollout state");
        }
        return this.state;
    }

    /** Feeds an event to the machine and records the resulting state (config only). */
    private async apply(event: MachineEvent, write = true): Promise<RolloutState> {
        // Reasons can quote a lower layer's error text: the recorded state is plain config, so it is redacted.
        const next = this.redactor.redactValue(transition(this.requireState(), event, this.policy.machine, this.now()));
        this.state = next;
        if (write) {
            await this.deps.driver.write([stateEdit(this.req.service, next)]);
        }
        this.emit({ type: "state", state: next });
        return next;
    }

    private async shift(stepIndex: number, weight: number): Promise<void> {
        const state = this.requireState();
        if (state.stepIndex !== stepIndex || stepIndex === -1) {
            const gate = await this.hooks("pre-step", weight, stepIndex);
            if (!gate.ok) {
                await this.apply({ type: "gate", hookType: "pre-step", ok: false, reason: gate.reason });
                return;
            }
        }
        const pending = await this.apply({ type: "shift-started", stepIndex }, false);
        const ok = await this.update("shift", weight, shiftEdits(this.req.service, this.req.version, weight, pending), `mesh-release: ${this.req.service} ${this.req.version} step ${stepIndex + 1} weight ${weight}%`);
        if (ok.kind === "ok") {
            await this.apply({ type: "shifted" });
            this.emit({ type: "step-applied", stepIndex, weight });
        } else if (ok.kind === "failed") {
            await this.apply({ type: "update-failed", message: ok.message });
        }
        // cancelled: the loop sees the signal and aborts
    }

    private async analyze(stepIndex: number, weight: number): Promise<void> {
        const windowMs = this.policy.intervalMs;
        this.emit({ type: "analysis-waiting", stepIndex, weight, until: new Date(this.clock.now().getTime() + windowMs).toISOString(), windowMs });
        await this.clock.sleep(windowMs, this.deps.signal);
        if (isAborted(this.deps.signal)) {
            return;
        }
        const measurements = await measure(
            this.metrics,
            {
                reporter: this.policy.reporter,
                service: this.req.service,
                namespace: this.ctx.namespace,
                canaryVersion: this.req.version,
                stableVersion: this.ctx.stableVersion,
                windowMs,
                includeStable: true,
                custom: this.policy.customQueries,
            },
            this.deps.signal,
        );
        if (isAborted(this.deps.signal)) {
            return;
        }
        const result = assessAnalysis(measurements, this.policy.thresholds, weight);
        const next = await this.apply({ type: "verdict", verdict: result.verdict, reason: result.reason });
        const m = this.policy.machine;
        this.emit({
            type: "analysis",
            stepIndex,
            weight,
            verdict: result.verdict,
            metrics: result.metrics,
            counters: { failedChecks: next.failedChecks, inconclusiveChecks: next.inconclusiveChecks, errorChecks: next.errorChecks },
            limits: { failedChecks: m.failureLimit, inconclusiveChecks: m.inconclusiveLimit, errorChecks: m.errorLimit },
        });
    }

    private async promote(stage: 0 | 1): Promise<void> {
        const state = this.requireState();
        if (stage === 0) {
            this.emit({ type: "promotion-started" });
        }
        const edits = stage === 0 ? promoteRouteEdits(this.req.service, state.version, state) : promoteFinalizeEdits(this.req.service, state);
        const purpose: UpdatePurpose = stage === 0 ? "promote-route" : "promote-finalize";
        const ok = await this.update(purpose, 0, edits, `mesh-release: promote ${this.req.service} ${state.version} (${stage + 1}/2)`);
        if (ok.kind !== "ok") {
            // Analysis passed: promotion is finished by a rerun, never undone by a rollback.
            throw new ReleaseError({
                code: ok.kind === "cancelled" ? "CANCELLED" : "UPDATE_FAILED",
                message: `promotion of ${state.version} stopped at update ${stage + 1}/2: ${ok.kind === "failed" ? ok.message : "cancelled"}`,
                hint: `run the same canary command again to finish the promotion (state: Promoting, stage ${stage})`,
                exitCode: ExitCode.Infrastructure,
            });
        }
        await this.apply({ type: "promoted", stage });
    }

    private async rollback(reason: string): Promise<RolloutResult> {
        const state = this.requireState();
        this.emit({ type: "rollback-started", reason, aborted: state.aborted });
        // A second signal must not cancel the rollback itself: it runs without the signal.
        const ok = await this.update("rollback", 0, rollbackEdits(this.req.service, state), `mesh-release: roll back ${this.req.service} ${state.version}`, false);
        if (ok.kind !== "ok") {
            throw new ReleaseError({
                code: "UPDATE_FAILED",
                message: `rollback of ${state.version} failed: ${ok.kind === "failed" ? ok.message : "cancelled"}; the canary may still receive traffic`,
                hint: `run: mesh-release rollback --stack ${this.deps.driver.stackName} --service ${this.req.service}`,
                exitCode: ExitCode.Infrastructure,
            });
        }
        const done = await this.apply({ type: "rolled-back" });
        return this.finish(done.phase === "Aborted" ? "aborted" : "rolled-back", reason);
    }

    /** Runs the webhooks of one type; gates report whether all passed. */
    private async hooks(type: WebhookType, weight?: number, stepIndex?: number): Promise<{ ok: boolean; reason: string }> {
        const state = this.state;
        const failures: string[] = [];
        for (const hook of this.policy.webhooks.filter((h) => h.type === type)) {
            const result = await callWebhook(
                hook,
                {
                    type,
                    stack: this.deps.driver.stackName,
                    service: this.req.service,
                    version: this.req.version,
                    phase: state?.phase ?? "Progressing",
                    stepIndex: stepIndex ?? state?.stepIndex ?? -1,
                    weight: weight ?? (state !== null ? currentWeight(state, this.policy.machine) : 0),
                    message: state?.message ?? "",
                    at: this.now(),
                },
                // Notifications (post-rollout, rollback) still go out after a signal: they report the rollback it caused.
                { signal: isGate(type) ? this.deps.signal : undefined, backoffMs: 1000, sleep: this.clock.sleep, fetch: this.deps.fetch },
            );
            this.emit({ type: "webhook", hook: hook.name, hookType: type, ok: result.ok, attempts: result.attempts, status: result.status, error: result.error });
            if (!result.ok) {
                failures.push(`${hook.name}: ${result.error ?? "refused"}`);
            }
        }
        if (failures.length > 0 && !isGate(type)) {
            this.emit({ type: "warning", message: `${type} webhook failed (notification only): ${failures.join("; ")}` });
            return { ok: true, reason: "" };
        }
        return { ok: failures.length === 0, reason: failures.join("; ") };
    }

    /**
     * Writes the edits and runs one update, retried with exponential backoff. A concurrent update fails
     * fast (thrown); a cancelled one returns `cancelled`; retries used up returns `failed`.
     */
    private async update(
        purpose: UpdatePurpose,
        weight: number,
        edits: readonly ConfigEdit[],
        message: string,
        cancellable = true,
    ): Promise<{ kind: "ok" } | { kind: "failed"; message: string } | { kind: "cancelled" }> {
        this.validate(edits);
        await this.deps.driver.write(edits);
        this.config = applyEdits(this.config, edits);
        const attempts = this.policy.update.retries + 1;
        let lastError = "";
        for (let attempt = 1; attempt <= attempts; attempt++) {
            const signal = cancellable ? this.deps.signal : undefined;
            if (isAborted(signal)) {
                return { kind: "cancelled" };
            }
            this.emit({ type: "update-started", purpose, weight, attempt });
            const started = this.clock.now().getTime();
            const graceTimer = this.cancelOnAbort(signal);
            try {
                await this.deps.driver.update({ message, signal });
                this.emit({ type: "update-finished", purpose, weight, attempt, ok: true, durationMs: this.clock.now().getTime() - started });
                return { kind: "ok" };
            } catch (err) {
                const text = errorMessage(err);
                lastError = text;
                const retryInMs = attempt < attempts ? this.policy.update.backoffMs * 2 ** (attempt - 1) : undefined;
                const kind = err instanceof DriverError ? err.kind : "failed";
                this.emit({ type: "update-finished", purpose, weight, attempt, ok: false, durationMs: this.clock.now().getTime() - started, error: text, retryInMs: kind === "failed" ? retryInMs : undefined });
                switch (kind) {
                    case "cancelled":
                        return { kind: "cancelled" };
                    case "concurrent":
                        throw new ReleaseError({
                            code: "CONCURRENT_UPDATE",
                            message: text,
                            hint: "another update is running on this stack; wait for it, then run the same command again (it resumes)",
                            exitCode: ExitCode.Infrastructure,
                        });
                    case "not-found":
                    case "unavailable":
                    case "failed":
                        if (retryInMs !== undefined) {
                            await this.clock.sleep(retryInMs, signal);
                        }
                        break;
                    default: {
                        const never: never = kind;
                        return never;
                    }
                }
            } finally {
                graceTimer();
            }
        }
        return { kind: "failed", message: lastError };
    }

    /** After a signal, gives the update `cancelGraceMs` to stop, then asks the backend to cancel it. */
    private cancelOnAbort(signal: AbortSignal | undefined): () => void {
        if (signal === undefined) {
            return () => undefined;
        }
        let timer: NodeJS.Timeout | undefined;
        const onAbort = (): void => {
            timer = setTimeout(() => void this.deps.driver.cancel().catch(() => undefined), this.deps.cancelGraceMs ?? 10_000);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        return () => {
            signal.removeEventListener("abort", onAbort);
            if (timer !== undefined) {
                clearTimeout(timer);
            }
        };
    }

    private async finish(outcome: Outcome, message: string, hint?: string, notify = true): Promise<RolloutResult> {
        const exitCode = outcomeExitCode(outcome);
        if (notify && this.state !== null && this.policy !== undefined) {
            if (outcome === "promoted" && this.state.phase === "Promoted") {
                await this.hooks("post-rollout");
            } else if (outcome === "rolled-back" || outcome === "aborted") {
                await this.hooks("rollback");
            }
        }
        const text = this.redactor.redact(message);
        this.emit({ type: "rollout-finished", version: this.req.version, outcome, exitCode, message: text, state: this.state });
        return { outcome, exitCode, message: text, hint, state: this.state };
    }

    private fail(err: unknown): RolloutResult {
        const release = toReleaseError(err);
        const message = this.redactor.redact(release.message);
        const hint = release.hint !== undefined ? this.redactor.redact(release.hint) : undefined;
        this.emit({ type: "rollout-finished", version: this.req.version, outcome: "failed", exitCode: release.exitCode, message, state: this.state });
        return { outcome: "failed", exitCode: release.exitCode, message, hint, state: this.state };
    }
}

export function outcomeExitCode(outcome: Outcome): ExitCode {
    switch (outcome) {
        case "promoted":
            return ExitCode.Ok;
        case "rolled-back":
        case "aborted":
            return ExitCode.RolledBack;
        case "failed":
            return ExitCode.Infrastructure;
        default: {
            const never: never = outcome;
            return never;
        }
    }
}

/** Any thrown value as a ReleaseError with an exit code. */
export function toReleaseError(err: unknown): ReleaseError {
    if (err instanceof ReleaseError) {
        return err;
    }
    if (err instanceof DriverError) {
        switch (err.kind) {
            case "concurrent":
                return new ReleaseError({ code: "CONCURRENT_UPDATE", message: err.message, hint: "one release per stack at a time; wait for the other one", exitCode: ExitCode.Infrastructure });
            case "not-found":
                return new ReleaseError({ code: "STACK_NOT_FOUND", message: err.message, hint: "check --stack and --cwd", exitCode: ExitCode.Usage });
            case "unavailable":
                return new ReleaseError({ code: "PULUMI_UNAVAILABLE", message: err.message, hint: "check the Pulumi CLI (--pulumi-root), PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE", exitCode: ExitCode.Infrastructure });
            case "cancelled":
                return new ReleaseError({ code: "CANCELLED", message: err.message, exitCode: ExitCode.Infrastructure });
            case "failed":
                return new ReleaseError({ code: "UPDATE_FAILED", message: err.message, exitCode: ExitCode.Infrastructure });
            default: {
                const never: never = err.kind;
                return never;
            }
        }
    }
    return new ReleaseError({ code: "UPDATE_FAILED", message: `unexpected error: ${errorMessage(err)}`, exitCode: ExitCode.Infrastructure });
}

/** Omit over each member of a union. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
