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
 *
 * This file holds the entry points and the step loop (start, shift, update, finish); the run's other parts take
 * it as a {@link Run} (types.ts): start.ts (the plan and the first edits), analyze.ts (a step's window),
 * liveSplit.ts (the live split and hand edits), gatedStep.ts (approval gates), endings.ts (promotion and
 * rollback), hooks.ts (webhooks), failure.ts (errors as results and exit codes).
 */
import { isAborted, systemClock, type Clock } from "../core/clock";
import type { RolloutState } from "../../contract/release";
import type { ConfigEdit } from "../driver/driver";
import { shiftEdits, stateEdit, applyEdits, versionsOf, cannotRestore } from "../core/edits";
import { Redactor } from "../../contract/redact";
import { ExitCode, ReleaseError, configError } from "../core/errors";
import type { Outcome, ReleaseEvent, UpdatePurpose } from "../core/events";
import { decide, transition, type MachineEvent } from "../core/machine";
import type { StepTracker } from "../metrics/sequential";
import type { MetricsProvider } from "../metrics/provider";
import { flagRefusal, stackPreflight, type ReleasePolicy, type ServiceContext } from "../core/policy";
import { writeAndUpdate, type PartialEvent, type UpdateOutcome } from "../orchestration/updater";
import { gateFor, newDigestKey, type GateRecord } from "../core/gate";
import { analyzeStep } from "./analyze";
import { promote, rollback } from "./endings";
import { failHint, outcomeExitCode, toReleaseError } from "./failure";
import { closeGate, passGate } from "./gatedStep";
import { callHooks } from "./hooks";
import { firstEdits, noteInconsistentState, planFor } from "./start";
import type { CanaryRequest, ReleaseDeps, RolloutRequest, RolloutResult, Run } from "./types";

export type { CanaryRequest, ConfigValidator, ReleaseDeps, RolloutRequest, RolloutResult, RoutingStep } from "./types";
export { outcomeExitCode, toReleaseError } from "./failure";

/** Runs (or resumes) a canary rollout to promotion or rollback. Never throws: failures are a result. */
export async function runCanary(req: CanaryRequest, deps: ReleaseDeps): Promise<RolloutResult> {
    return runRollout({ action: "canary", ...req }, deps);
}

/**
 * Runs a rollout command to its end. `promote` finishes or forces a promotion; `rollback` and `abort`
 * send all traffic to stable (exit 0 when done: the command did what was asked). Never throws.
 */
export async function runRollout(req: RolloutRequest, deps: ReleaseDeps): Promise<RolloutResult> {
    return new RolloutRun(req, deps).execute();
}

class RolloutRun implements Run {
    readonly clock: Clock;
    readonly redactor = new Redactor();
    state: RolloutState | null = null;
    policy!: ReleasePolicy;
    ctx!: ServiceContext;
    metrics!: MetricsProvider;
    config: Record<string, unknown> = {};
    /** The version this run is about (from the request, or the recorded/configured canary). */
    version: string;
    /** Sequential mode: what the current step has seen (its baseline and counters), kept across re-analyses. */
    tracker: StepTracker | undefined;
    /** The hint the run ends with when the recorded state it read was inconsistent (machine.ts stateInconsistency). */
    repairHint: string | undefined;
    /** Key of the config digests an approval binds (release/core/gate.ts configDigest); never leaves this process. */
    readonly digestKey = newDigestKey();

    constructor(
        readonly req: RolloutRequest,
        readonly deps: ReleaseDeps,
    ) {
        this.clock = deps.clock ?? systemClock;
        this.version = req.version ?? "";
    }

    now(): string {
        return this.clock.now().toISOString();
    }

    emit(event: PartialEvent): void {
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
            // The flags first: a mistake in one is a usage error even when the stack cannot be reached.
            const flagProblems = await flagRefusal(this.req, () => this.deps.driver.read(), this.deps.driver.stackName);
            if (flagProblems.length > 0) {
                throw configError(`stack ${this.deps.driver.stackName}, service ${this.req.service}: cannot ${this.req.action === "canary" ? "start the rollout" : this.req.action}`, flagProblems);
            }
            unlock = await this.deps.driver.lock(this.deps.holder ?? `mesh-release ${this.req.action} ${this.req.service} ${this.version} (pid ${process.pid})`);
            return await this.rollout();
        } catch (err) {
            return this.fail(err);
        } finally {
            await unlock?.().catch(() => undefined);
        }
    }

    private async rollout(): Promise<RolloutResult> {
        const { service, action } = this.req;
        const stack = this.deps.driver.stackName;
        const snapshot = await this.deps.driver.read();
        this.redactor.add(...snapshot.secrets);
        this.config = snapshot.config;

        const { problems, ctx, policy } = stackPreflight(stack, snapshot, service, this.req.overrides);
        // A bare promote is about the rollout in flight if there is one (mid-promotion, canary.version holds
        // the previous stable), else about the configured canary.
        const inFlight = ctx?.state !== undefined && ["Progressing", "Promoting", "RollingBack"].includes(ctx.state.phase) ? ctx.state.version : undefined;
        // ...and after a finished promotion (no canary configured any more), about the version it promoted: a noop.
        const promoted = ctx?.state?.phase === "Promoted" ? ctx.state.version : undefined;
        const version = this.req.version ?? (action === "promote" ? (inFlight ?? ctx?.canaryVersion ?? promoted) : (ctx?.state?.version ?? ctx?.canaryVersion));
        // A --version given was checked with the other flags before the stack was read.
        if (this.req.version === undefined && (action === "canary" || (action === "promote" && ctx !== undefined && version === undefined))) {
            problems.push({ propertyPath: "--version", reason: `--version is missing; services.${service}.canary.version is not set either; name the version to ${action}, e.g. --version v2` });
        }
        const alreadyPromoted = action === "promote" && version !== undefined && version === promoted;
        if (ctx !== undefined && version !== undefined && ctx.stableVersion === version && (action === "canary" || action === "promote") && ctx.state?.phase !== "Promoting" && !alreadyPromoted) {
            problems.push({ propertyPath: "--version", reason: `--version is ${JSON.stringify(version)}, which is already the stable version of ${service}; deploy a new version` });
        }
        if (problems.length > 0 || ctx === undefined || policy === undefined) {
            throw configError(`stack ${stack}, service ${service}: cannot ${action === "canary" ? "start the rollout" : action}`, problems);
        }
        if (action === "canary" && this.deps.driver.gates === undefined && policy.gates.some((g) => g.services === undefined || g.services.includes(service))) {
            throw configError(`stack ${stack}, service ${service}: cannot start the rollout`, [
                { propertyPath: "release.gates", reason: `release.gates gates ${service}, and this driver (${stack}) cannot hold an approval gate (no preview with a saved plan, no record on the state backend); run it with the Pulumi stack driver, or remove the gates (pulumi config rm --path release.gates)` },
            ]);
        }
        this.ctx = ctx;
        this.policy = policy;
        this.version = version ?? "";
        this.redactor.add(policy.prometheus.bearerToken, policy.prometheus.basicAuth?.password);

        const plan = planFor(this, action, ctx, policy);
        switch (plan.kind) {
            case "refuse":
                throw new ReleaseError({ code: "ROLLOUT_CONFLICT", message: `stack ${stack}, service ${service}: ${plan.reason}`, hint: plan.hint, exitCode: ExitCode.Usage });
            case "noop":
                this.state = plan.state;
                this.version = plan.state.version;
                return this.finish(plan.state.phase === "Promoted" ? "promoted" : "rolled-back", plan.reason, undefined, false);
            case "start":
            case "resume":
                break;
            default: {
                const never: never = plan;
                return never;
            }
        }
        if (plan.state.phase === "RollingBack" && cannotRestore(plan.state, versionsOf(this.config, service))) {
            throw new ReleaseError({
                code: "ROLLOUT_CONFLICT",
                message: `stack ${stack}, service ${service}: ${plan.state.version} is already the stable version and no previous stable version is recorded; a rollback cannot undo its promotion`,
                hint:
                    `finish it: mesh-release promote --stack ${stack} --service ${service}; or put the old version back by hand: ` +
                    `pulumi config set --path 'services.${service}.stable.version' <old version> && pulumi config rm --path 'rollouts.${service}' && pulumi up`,
                exitCode: ExitCode.Usage,
            });
        }
        this.state = plan.state;
        this.version = plan.state.version;
        noteInconsistentState(this, ctx.state, action);
        const steps = plan.state.steps ?? policy.steps;
        // Validate what the first update would write, before anything is written.
        this.validate(firstEdits(this, plan.state, steps));
        this.metrics = this.deps.metrics(policy, this.redactor);

        this.emit({ type: "rollout-started", version: this.version, steps: [...steps], intervalMs: policy.intervalMs, resumed: plan.kind === "resume", state: plan.state });
        if (plan.kind === "start" && action === "canary") {
            const gate = await callHooks(this, "pre-rollout");
            if (!gate.ok) {
                // Nothing was applied: the rollout ends here, the stack untouched.
                return this.finish("rolled-back", `pre-rollout webhook refused: ${gate.reason}`, undefined, false);
            }
        }
        if (action !== "canary" && plan.state !== ctx.state) {
            // promote / rollback / abort decided a new phase: record it before acting on it.
            await this.deps.driver.write([stateEdit(service, plan.state)]);
            this.emit({ type: "state", state: plan.state });
        }
        return this.loop();
    }

    validate(edits: readonly ConfigEdit[]): void {
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
                    await analyzeStep(this, action.stepIndex, action.weight);
                    break;
                case "confirm-promotion": {
                    const gate = await callHooks(this, "confirm-promotion");
                    await this.apply({ type: "gate", hookType: "confirm-promotion", ok: gate.ok, reason: gate.reason });
                    break;
                }
                case "promote":
                    await promote(this, action.stage);
                    break;
                case "rollback":
                    return rollback(this, action.reason);
                case "done":
                    return this.finish(action.outcome, state.message ?? action.outcome);
                default: {
                    const never: never = action;
                    return never;
                }
            }
        }
    }

    /**
     * The stable version the promotion replaces, read from the config at the start of this run: the stable
     * version, or, when a killed run already wrote the first promotion update, the canary version it left.
     */
    previousStable(promoted: string): string | undefined {
        return this.ctx.stableVersion !== promoted ? this.ctx.stableVersion : this.ctx.canaryVersion;
    }

    requireState(): RolloutState {
        if (this.state === null) {
            throw new Error("no rollout state");
        }
        return this.state;
    }

    /** Feeds an event to the machine and records the resulting state (config only). */
    async apply(event: MachineEvent, write = true): Promise<RolloutState> {
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
            const gate = await callHooks(this, "pre-step", weight, stepIndex);
            if (!gate.ok) {
                await this.apply({ type: "gate", hookType: "pre-step", ok: false, reason: gate.reason });
                return;
            }
        }
        this.tracker = undefined; // a new (or re-applied) step starts its tests afresh
        const pending = await this.apply({ type: "shift-started", stepIndex }, false);
        const edits = shiftEdits(this.req.service, this.version, weight, pending);
        const message = `mesh-release: ${this.req.service} ${this.version} step ${stepIndex + 1} weight ${weight}%`;
        const gate = gateFor(this.policy.gates, this.req.service, weight);
        let approved: { planFile: string; record: GateRecord } | undefined;
        if (gate !== undefined) {
            approved = await passGate(this, gate, stepIndex, weight, edits, message);
            if (approved === undefined) {
                return; // rejected or timed out (RollingBack), or a signal (the loop aborts): nothing applied
            }
        }
        const ok = await this.update(
            "shift",
            weight,
            edits,
            approved !== undefined ? `${message} (approved by ${approved.record.decidedBy ?? "?"} at ${approved.record.decidedAt ?? "?"}, plan ${approved.record.plan})` : message,
            true,
            approved?.planFile,
        );
        if (approved !== undefined && ok.kind === "ok") {
            await closeGate(this, { ...approved.record, status: "applied" });
        }
        if (ok.kind === "ok" && this.deps.awaitRouting !== undefined) {
            try {
                await this.deps.awaitRouting({ service: this.req.service, namespace: this.ctx.namespace, stepIndex, weight });
            } catch (e) {
                await this.apply({ type: "update-failed", message: `the mesh did not put weight ${weight}% in effect: ${e instanceof Error ? e.message : String(e)}` });
                return;
            }
        }
        if (ok.kind === "ok") {
            await this.apply({ type: "shifted" });
            this.emit({ type: "step-applied", stepIndex, weight });
        } else if (ok.kind === "failed") {
            await this.apply({ type: "update-failed", message: ok.message });
        }
        // cancelled: the loop sees the signal and aborts
    }

    /**
     * How long this run may go without an update, ms: the analysis window, plus the longest gate timeout of this service
     * (a release waiting at a gate runs no update; its lease must outlast the wait: lease.ts).
     */
    holdMs(): number {
        const gates = this.policy.gates.filter((g) => g.services === undefined || g.services.includes(this.req.service));
        return this.policy.intervalMs + Math.max(0, ...gates.map((g) => g.timeoutMs));
    }

    /** Writes the edits and runs one update with retries (updater.ts). */
    async update(
        purpose: UpdatePurpose,
        weight: number,
        edits: readonly ConfigEdit[],
        message: string,
        cancellable = true,
        plan?: string,
    ): Promise<UpdateOutcome> {
        // The run ends with a rollback or the second promotion update: those release the backend lease.
        const final = purpose === "rollback" || purpose === "promote-finalize";
        const outcome = await writeAndUpdate(
            {
                driver: this.deps.driver,
                clock: this.clock,
                emit: (e) => this.emit(e),
                validate: (e) => this.validate(e),
                retries: this.policy.update.retries,
                backoffMs: this.policy.update.backoffMs,
                signal: this.deps.signal,
                cancelGraceMs: this.deps.cancelGraceMs,
            },
            { purpose, weight, edits, message, cancellable, final, holdMs: this.holdMs(), ...(plan !== undefined ? { plan } : {}) },
        );
        this.config = applyEdits(this.config, edits);
        return outcome;
    }

    async finish(outcome: Outcome, message: string, hint?: string, notify = true): Promise<RolloutResult> {
        // rollback/abort did what was asked: exit 0. A canary that ends rolled back exits 1.
        const asked = (this.req.action === "rollback" || this.req.action === "abort") && (outcome === "rolled-back" || outcome === "aborted");
        const exitCode = asked ? ExitCode.Ok : outcomeExitCode(outcome);
        if (notify && this.state !== null && this.policy !== undefined) {
            if (outcome === "promoted" && this.state.phase === "Promoted") {
                await callHooks(this, "post-rollout");
            } else if (outcome === "rolled-back" || outcome === "aborted") {
                await callHooks(this, "rollback");
            }
        }
        const text = this.redactor.redact(message);
        this.emit({ type: "rollout-finished", version: this.version, outcome, exitCode, message: text, state: this.state });
        return { outcome, exitCode, message: text, hint, state: this.state };
    }

    private fail(err: unknown): RolloutResult {
        const release = toReleaseError(err);
        const message = this.redactor.redact(release.message);
        const hint = this.redactor.redact(failHint(this.req.action, release) ?? "") || undefined;
        this.emit({ type: "rollout-finished", version: this.version, outcome: "failed", exitCode: release.exitCode, message, state: this.state });
        return { outcome: "failed", exitCode: release.exitCode, message, hint, state: this.state };
    }
}

