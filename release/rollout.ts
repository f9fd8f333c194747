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
import { assessAnalysis, type AnalysisResult } from "./analysis";
import { isAborted, systemClock, type Clock } from "./clock";
import type { RolloutState } from "../contract/release";
import { DriverError, type ConfigEdit, type TrafficDriver } from "./driver/driver";
import { appliedShares, handEditOf, handEditText, liveSplitOf, liveSplitProblems, observedShare, type LiveReader, type LiveSplit } from "./live";
import { promoteFinalizeEdits, promoteRouteEdits, rollbackEdits, shiftEdits, stateEdit, applyEdits, versionsOf, cannotRestore, stableToRestore } from "./edits";
import { valueAt } from "../contract/paths";
import { Redactor } from "../contract/redact";
import { ExitCode, ReleaseError, configError, errorMessage, type ConfigProblem } from "./errors";
import type { EventSink, Outcome, ReleaseEvent, UpdatePurpose } from "./events";
import { currentWeight, decide, planPromote, planRollback, planStart, stateInconsistency, stepsOf, transition, type RolloutAction, type MachineEvent, type StartPlan } from "./machine";
import { measure } from "./metrics/istio";
import { analyzeStepSequentially, type StepTracker } from "./metrics/sequential";
import type { MetricsProvider } from "./metrics/provider";
import { flagRefusal, stackPreflight, type PolicyOverrides, type ReleasePolicy, type ServiceContext } from "./policy";
import { writeAndUpdate, type PartialEvent, type UpdateOutcome } from "./updater";
import { callWebhook, isGate, type WebhookType } from "./webhooks";
import { changedPaths, configDigest, gateFor, gateWait, newDigestKey, newGateId, parseGateRecord, MAX_CHANGE_LINES, type GateRecord } from "./gate";
import type { ApprovalRecord } from "../contract/release";
import type { GateSpec } from "./policy";


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
    /** Milliseconds to wait after a signal for an update to stop before asking the backend to cancel it. Default 10000. */
    cancelGraceMs?: number;
    /**
     * Check, before judging each window, that the live split is the step's (release/live.ts): the canary's
     * observed share always, the live VirtualService too when `read` can reach the API server. Absent: no check.
     */
    live?: { read?: LiveReader };
    /**
     * Resolves once the mesh serves the split a traffic shift just applied (e.g. istiod reports the new config
     * synced to the proxies and they route by it); rejects, with a message saying what was not in effect, after a
     * timeout of its own. The step's analysis window starts only after it; a rejection fails the step like a
     * failed update. Default: none (the window starts when the update finishes).
     */
    awaitRouting?: (step: RoutingStep) => Promise<void>;
    /** How often a release waiting at an approval gate reads the gate record, ms. Default 5000. */
    gatePollMs?: number;
}

/** The split a traffic shift applied, for {@link ReleaseDeps.awaitRouting}. */
export interface RoutingStep {
    service: string;
    namespace: string;
    stepIndex: number;
    /** Canary percent of the catch-all. */
    weight: number;
}

export interface CanaryRequest {
    service: string;
    version: string;
    overrides?: PolicyOverrides;
}

/** A rollout command: `canary` (start or resume), `promote`, `rollback` or `abort`. */
export interface RolloutRequest {
    action: RolloutAction;
    service: string;
    /** Required for `canary`; `promote`, `rollback` and `abort` default to the recorded or configured canary version. */
    version?: string;
    /** `promote --force`: promote without a passed analysis (recorded in the state message). */
    force?: boolean;
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
    return runRollout({ action: "canary", ...req }, deps);
}

/**
 * Runs a rollout command to its end. `promote` finishes or forces a promotion; `rollback` and `abort`
 * send all traffic to stable (exit 0 when done: the command did what was asked). Never throws.
 */
export async function runRollout(req: RolloutRequest, deps: ReleaseDeps): Promise<RolloutResult> {
    return new RolloutRun(req, deps).execute();
}

class RolloutRun {
    private readonly clock: Clock;
    private readonly redactor = new Redactor();
    private state: RolloutState | null = null;
    private policy!: ReleasePolicy;
    private ctx!: ServiceContext;
    private metrics!: MetricsProvider;
    private config: Record<string, unknown> = {};
    /** The version this run is about (from the request, or the recorded/configured canary). */
    private version: string;
    /** Sequential mode: what the current step has seen (its baseline and counters), kept across re-analyses. */
    private tracker: StepTracker | undefined;
    /** The hint the run ends with when the recorded state it read was inconsistent (machine.ts stateInconsistency). */
    private repairHint: string | undefined;
    /** Key of the config digests an approval binds (release/gate.ts configDigest); never leaves this process. */
    private readonly digestKey = newDigestKey();

    constructor(
        private readonly req: RolloutRequest,
        private readonly deps: ReleaseDeps,
    ) {
        this.clock = deps.clock ?? systemClock;
        this.version = req.version ?? "";
    }

    private now(): string {
        return this.clock.now().toISOString();
    }

    private emit(event: PartialEvent): void {
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

        const plan = this.plan(action, ctx, policy);
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
        this.noteInconsistentState(ctx.state, action);
        const steps = plan.state.steps ?? policy.steps;
        // Validate what the first update would write, before anything is written.
        this.validate(this.firstEdits(plan.state, steps));
        this.metrics = this.deps.metrics(policy, this.redactor);

        this.emit({ type: "rollout-started", version: this.version, steps: [...steps], intervalMs: policy.intervalMs, resumed: plan.kind === "resume", state: plan.state });
        if (plan.kind === "start" && action === "canary") {
            const gate = await this.hooks("pre-rollout");
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

    /**
     * A recorded rollout in flight whose state is inconsistent (a step index past its steps) is said as soon as
     * it is read, with what is wrong and the fix; the run then rolls it back (canary) or repairs it (rollback,
     * abort), and ends with the hint.
     */
    private noteInconsistentState(recorded: RolloutState | undefined, action: RolloutAction): void {
        if (recorded === undefined || !["Progressing", "RollingBack"].includes(recorded.phase)) {
            return;
        }
        const inconsistent = stateInconsistency(recorded, this.policy.machine);
        if (inconsistent === undefined) {
            return;
        }
        const stack = this.deps.driver.stackName;
        const { service } = this.req;
        const rollbackCommand = `mesh-release rollback --stack ${stack} --service ${service}`;
        const what =
            action === "rollback" || action === "abort"
                ? `the ${action} repairs it (all traffic to stable, the step index back inside the steps)`
                : "nothing is shifted or promoted on it: the canary is rolled back to stable, which repairs it";
        this.emit({ type: "warning", message: `the recorded rollout state rollouts.${service} is inconsistent: ${inconsistent}; ${what}. Fix: ${rollbackCommand} repairs such a state` });
        this.repairHint =
            action === "rollback" || action === "abort"
                ? `the recorded state was inconsistent (${inconsistent}) and is repaired; start again with mesh-release canary --stack ${stack} --service ${service} --version ${recorded.version}`
                : `the recorded state was inconsistent (${inconsistent}); ${rollbackCommand} repairs such a state, and this run did the same: ${service} is on stable and the state is consistent again. Start again with mesh-release canary --stack ${stack} --service ${service} --version ${recorded.version}`;
    }

    private plan(action: RolloutAction, ctx: ServiceContext, policy: ReleasePolicy): StartPlan {
        const now = this.now();
        switch (action) {
            case "canary":
                return planStart(ctx.state, this.version, policy.steps, now);
            case "promote":
                return planPromote(ctx.state, this.version, policy.steps, this.req.force === true, now, policy.machine);
            case "rollback":
            case "abort":
                return planRollback(ctx.state, this.version === "" ? undefined : this.version, action === "abort", now, policy.machine);
            default: {
                const never: never = action;
                return never;
            }
        }
    }

    /** The edits of the first update the plan leads to (validated before anything is written). */
    private firstEdits(state: RolloutState, steps: readonly number[]): ConfigEdit[] {
        switch (state.phase) {
            case "Progressing":
                return shiftEdits(this.req.service, state.version, steps[Math.max(0, state.stepIndex)] ?? 0, state);
            case "Promoting":
                return state.promotionStage === 0 ? promoteRouteEdits(this.req.service, state.version, this.previousStable(state.version), state) : promoteFinalizeEdits(this.req.service, state);
            case "RollingBack":
            case "RolledBack":
            case "Aborted":
            case "Promoted":
                return rollbackEdits(this.req.service, state, versionsOf(this.config, this.req.service));
            default: {
                const never: never = state.phase;
                return never;
            }
        }
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

    /**
     * The stable version the promotion replaces, read from the config at the start of this run: the stable
     * version, or, when a killed run already wrote the first promotion update, the canary version it left.
     */
    private previousStable(promoted: string): string | undefined {
        return this.ctx.stableVersion !== promoted ? this.ctx.stableVersion : this.ctx.canaryVersion;
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
        this.tracker = undefined; // a new (or re-applied) step starts its tests afresh
        const pending = await this.apply({ type: "shift-started", stepIndex }, false);
        const edits = shiftEdits(this.req.service, this.version, weight, pending);
        const message = `mesh-release: ${this.req.service} ${this.version} step ${stepIndex + 1} weight ${weight}%`;
        const gate = gateFor(this.policy.gates, this.req.service, weight);
        let approved: { planFile: string; record: GateRecord } | undefined;
        if (gate !== undefined) {
            approved = await this.passGate(gate, stepIndex, weight, edits, message);
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
            await this.closeGate({ ...approved.record, status: "applied" });
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

    private async analyze(stepIndex: number, weight: number): Promise<void> {
        if (this.policy.analysis.mode === "sequential") {
            await this.analyzeSequentially(stepIndex, weight);
            return;
        }
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
                canaryVersion: this.version,
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
        await this.recordVerdict(stepIndex, weight, assessAnalysis(measurements, this.policy.thresholds, weight));
    }

    /** Sequential mode (release/metrics/sequential.ts): looks at every scrape; a crossed bound stops the step at once. */
    private async analyzeSequentially(stepIndex: number, weight: number): Promise<void> {
        const windowMs = this.policy.intervalMs;
        const t = this.policy.thresholds;
        this.emit({ type: "analysis-waiting", stepIndex, weight, until: new Date(this.clock.now().getTime() + windowMs).toISOString(), windowMs });
        const { result, tracker, aborted } = await analyzeStepSequentially(
            {
                reporter: this.policy.reporter,
                service: this.req.service,
                namespace: this.ctx.namespace,
                canaryVersion: this.version,
                stableVersion: this.ctx.stableVersion,
                stepIndex,
                weight,
                windowMs,
                lookIntervalMs: this.policy.analysis.lookIntervalMs,
                policy: { alpha: this.policy.analysis.alpha, steps: stepsOf(this.requireState(), this.policy.machine).length, successRate: t.successRate, latencyP95Ms: t.latencyP95Ms, minRequests: t.minRequests },
                custom: this.policy.customQueries.map((q) => ({ ...q, ...t.custom.find((c) => c.name === q.name) })),
            },
            { provider: this.metrics, clock: this.clock, signal: this.deps.signal, emit: (e) => this.emit(e) },
            this.tracker,
        );
        this.tracker = tracker;
        if (aborted || isAborted(this.deps.signal)) {
            return;
        }
        await this.recordVerdict(stepIndex, weight, result);
    }

    private async recordVerdict(stepIndex: number, weight: number, result: AnalysisResult): Promise<void> {
        const harm = await this.checkLiveSplit(stepIndex, weight, result);
        const next = await this.apply(harm ?? { type: "verdict", verdict: result.verdict, reason: result.reason });
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

    /**
     * When the live split is not the step's (a hand edit of the VirtualService, which would otherwise be judged as the
     * step and overwritten by the next update): if the window measured the canary failing, that is evidence of harm to
     * the users the edit sent to it, so the rollout rolls back at once (returns the `harm` event; the rollback names the
     * edit it overwrites). Otherwise the edit is respected: the rollout stops, nothing judged or written, and the error
     * gives the window's measurement.
     */
    private async checkLiveSplit(stepIndex: number, weight: number, result: AnalysisResult): Promise<Extract<MachineEvent, { type: "harm" }> | undefined> {
        const live = this.deps.live;
        if (live === undefined) {
            return undefined;
        }
        const { service } = this.req;
        let split: LiveSplit | undefined;
        if (live.read !== undefined) {
            try {
                split = liveSplitOf(await live.read(this.ctx.namespace), this.ctx.namespace, service, versionsOf(this.config, service));
            } catch (err) {
                this.emit({ type: "warning", message: `cannot read the live VirtualService of ${service} (${errorMessage(err)}); only the canary's observed share is checked` });
            }
        }
        const pins = valueAt(this.config, ["services", service, "pins"]);
        const extraCanaryRoutes = (Array.isArray(pins) && pins.length > 0) || valueAt(this.config, ["services", service, "abTest"]) !== undefined;
        // Sticky sessions keep the version of the step they began in: the floor is the rollout's first weight.
        const sticky = valueAt(this.config, ["services", service, "canary", "sessionAffinity"]) !== undefined;
        const sessionFloor = sticky ? stepsOf(this.requireState(), this.policy.machine)[0] : undefined;
        const problems = liveSplitProblems({
            weight,
            live: split,
            observed: observedShare(result.metrics),
            minRequests: this.policy.thresholds.minRequests,
            extraCanaryRoutes,
            ...(sessionFloor === undefined ? {} : { sessionFloor }),
        });
        if (problems.length === 0) {
            return undefined;
        }
        const stack = this.deps.driver.stackName;
        const where = `stack ${stack}, service ${service}, step ${stepIndex + 1} (${weight}%)`;
        const measured = `the window measured ${result.verdict}: ${result.reason}`;
        if (result.verdict === "Failed") {
            this.emit({
                type: "warning",
                message: `${where}: the live split is not the step's (${problems.join("; ")}) and ${measured}; rolling back now, overwriting the live change`,
            });
            return { type: "harm", reason: `${where}: the canary failed its analysis while the live split was not the step's (${problems.join("; ")}): ${result.reason}` };
        }
        throw new ReleaseError({
            code: "LIVE_SPLIT_MISMATCH",
            message: `${where}: the live split is not the step's: ${problems.join("; ")}; ${measured}`,
            hint:
                `the canary did not fail in this window, so the live change was left as it is and nothing was judged or written. ` +
                `To stop the release: mesh-release rollback --stack ${stack} --service ${service} (its update replaces the manual change, and names it first). ` +
                `To go on: undo the manual change, or let Pulumi put the configured split back (pulumi up --stack ${stack}), then run the same command again (it resumes at this step)`,
            exitCode: ExitCode.Infrastructure,
        });
    }

    /**
     * Before a rollback or promotion update: when the live VirtualService holds a split no update of this rollout
     * applied (a hand edit; the live-split check stopped the rollout on it), say so, naming the object, the live
     * share and the one the update writes. Never refuses: a rollback is the safe action, and a promotion was
     * asked for. `writes`: the share of the version under release after the update.
     */
    private async noteHandEdit(action: "rollback" | "promotion", writes: number): Promise<void> {
        const read = this.deps.live?.read;
        const state = this.requireState();
        const { service } = this.req;
        const versions = versionsOf(this.config, service);
        // Only while the canary subset selects the version under release (not after a promotion's first update).
        if (read === undefined || versions.canary !== state.version || versions.stable === state.version) {
            return;
        }
        let split: LiveSplit | undefined;
        try {
            split = liveSplitOf(await read(this.ctx.namespace), this.ctx.namespace, service, versions);
        } catch (err) {
            this.emit({ type: "warning", message: `cannot read the live VirtualService of ${service} (${errorMessage(err)}); a hand edit, if any, is overwritten without being named` });
            return;
        }
        const routed = valueAt(this.config, ["services", service, "canary", "routed"]);
        const weight = valueAt(this.config, ["services", service, "canary", "weight"]);
        const configured = routed === false || typeof weight !== "number" ? 0 : weight;
        const edit = handEditOf(split, appliedShares(state, stepsOf(state, this.policy.machine), configured), writes);
        if (edit === undefined) {
            return;
        }
        const stable = stableToRestore(state, versions) ?? versions.stable;
        this.emit({ type: "hand-edit", ...edit, message: handEditText(edit, { action, version: state.version, stable }) });
    }

    private async promote(stage: 0 | 1): Promise<void> {
        let state = this.requireState();
        if (stage === 0) {
            this.emit({ type: "promotion-started" });
            // Recorded with the first update, so a rollback of a promotion stopped midway can put it back.
            const previous = this.previousStable(state.version);
            if (state.previousStable === undefined && previous !== undefined && previous !== state.version) {
                state = { ...state, previousStable: previous };
                this.state = state;
            }
        }
        if (stage === 0) {
            await this.noteHandEdit("promotion", 100);
        }
        const edits = stage === 0 ? promoteRouteEdits(this.req.service, state.version, this.previousStable(state.version), state) : promoteFinalizeEdits(this.req.service, state);
        const purpose: UpdatePurpose = stage === 0 ? "promote-route" : "promote-finalize";
        const ok = await this.update(purpose, 0, edits, `mesh-release: promote ${this.req.service} ${state.version} (${stage + 1}/2)`);
        if (ok.kind !== "ok") {
            // Analysis passed: a rerun or promote finishes the promotion; rollback undoes it (edits.ts rollbackEdits).
            throw new ReleaseError({
                code: ok.kind === "cancelled" ? "CANCELLED" : "UPDATE_FAILED",
                message: `promotion of ${state.version} stopped at update ${stage + 1}/2: ${ok.kind === "failed" ? ok.message : "cancelled"}`,
                hint:
                    `run the same canary command again (or mesh-release promote --stack ${this.deps.driver.stackName} --service ${this.req.service}) to finish the promotion, ` +
                    `or mesh-release rollback --stack ${this.deps.driver.stackName} --service ${this.req.service} to undo it (state: Promoting, stage ${stage})`,
                exitCode: ExitCode.Infrastructure,
            });
        }
        await this.apply({ type: "promoted", stage });
    }

    private async rollback(reason: string): Promise<RolloutResult> {
        if (this.requireState().phase === "Progressing") {
            // decide() asked for a rollback of a Progressing state (an inconsistent one): record it as RollingBack,
            // written with the rollback update below (a process killed before it finishes rolls back again).
            await this.apply({ type: "rollback-started", reason }, false);
        }
        const state = this.requireState();
        this.emit({ type: "rollback-started", reason, aborted: state.aborted });
        await this.noteHandEdit("rollback", 0);
        // A second signal must not cancel the rollback itself: it runs without the signal.
        const ok = await this.update("rollback", 0, rollbackEdits(this.req.service, state, versionsOf(this.config, this.req.service)), `mesh-release: roll back ${this.req.service} ${state.version}`, false);
        if (ok.kind !== "ok") {
            throw new ReleaseError({
                code: "UPDATE_FAILED",
                message: `rollback of ${state.version} failed: ${ok.kind === "failed" ? ok.message : "cancelled"}; the canary may still receive traffic`,
                hint: `run: mesh-release rollback --stack ${this.deps.driver.stackName} --service ${this.req.service}`,
                exitCode: ExitCode.Infrastructure,
            });
        }
        const done = await this.apply({ type: "rolled-back" });
        return this.finish(done.phase === "Aborted" ? "aborted" : "rolled-back", reason, this.repairHint);
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
                    version: this.version,
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
     * The approval gate before step `stepIndex` (release/gate.ts): writes the step's edits, previews them with a saved
     * plan, records the pending gate on the state backend and waits for its decision. Approved: the program and the
     * config must be those the plan was made with (else PLAN_STALE, nothing applied); returns the plan to apply.
     * Rejected, or timed out with `onTimeout: rollback`: the state goes RollingBack (the rollback is never gated);
     * a signal: nothing recorded, the loop aborts. Both return undefined.
     */
    private async passGate(gate: GateSpec, stepIndex: number, weight: number, edits: readonly ConfigEdit[], message: string): Promise<{ planFile: string; record: GateRecord } | undefined> {
        const backend = this.deps.driver.gates;
        const stack = this.deps.driver.stackName;
        const { service } = this.req;
        if (backend === undefined) {
            throw new ReleaseError({ code: "CONFIG_INVALID", message: `stack ${stack}: release.gates needs a driver that can hold approval gates`, exitCode: ExitCode.Usage });
        }
        const steps = stepsOf(this.requireState(), this.policy.machine);
        this.validate(edits);
        await this.deps.driver.write(edits);
        let preview: Awaited<ReturnType<typeof backend.preview>>;
        try {
            preview = await backend.preview({ message: `${message} (preview for approval)`, name: `${service}-step${stepIndex + 1}`, holdMs: this.holdMs(), signal: this.deps.signal });
        } catch (err) {
            if (isAborted(this.deps.signal)) {
                return undefined;
            }
            if (err instanceof DriverError && err.kind !== "failed") {
                throw err;
            }
            await this.apply({ type: "update-failed", message: `the preview of step ${stepIndex + 1} for its approval gate failed: ${errorMessage(err)}` });
            return undefined;
        }
        const previewed = await this.deps.driver.read();
        const config = configDigest(previewed.config, this.digestKey);
        const program = await backend.programDigest();
        const now = this.clock.now();
        const record: GateRecord = {
            v: 1,
            id: newGateId(),
            stack,
            service,
            version: this.version,
            stepIndex,
            steps: steps.length,
            weight,
            approval: gate.approval,
            onTimeout: gate.onTimeout,
            plan: preview.planDigest,
            program,
            summary: preview.summary,
            changes: preview.changes.slice(0, MAX_CHANGE_LINES).map((c) => `${c.op} ${c.kind} ${c.name}${c.diffs.length > 0 ? `: ${c.diffs.join("; ")}` : ""}`),
            requestedBy: this.deps.holder ?? `mesh-release canary (pid ${process.pid})`,
            requestedAt: now.toISOString(),
            expiresAt: new Date(now.getTime() + gate.timeoutMs).toISOString(),
            status: "pending",
        };
        if (preview.changes.length > MAX_CHANGE_LINES) {
            record.changes.push(`... and ${preview.changes.length - MAX_CHANGE_LINES} more resources`);
        }
        await backend.writeRecord(service, JSON.stringify(record));
        const target = this.deps.driver.stackName;
        this.emit({
            type: "gate-waiting",
            stepIndex,
            weight,
            approval: gate.approval,
            plan: record.plan,
            program,
            summary: record.summary,
            changes: record.changes,
            expiresAt: record.expiresAt,
            onTimeout: gate.onTimeout,
            approve: `mesh-release approve --stack ${target} --service ${service} --step ${weight}`,
        });
        let notedWaiting = false;
        for (;;) {
            if (isAborted(this.deps.signal)) {
                await this.closeGate({ ...record, status: "stale", reason: "the waiting release was interrupted by a signal and rolls back" });
                return undefined;
            }
            const read = parseGateRecord(await backend.readRecord(service));
            const wait = gateWait(read, record.id, this.clock.now());
            switch (wait.kind) {
                case "approved": {
                    const decided = wait.record;
                    const approval: ApprovalRecord = { stepIndex, weight, decision: "approved", by: decided.decidedBy, kind: decided.decidedKind, at: decided.decidedAt ?? this.now(), plan: decided.plan };
                    this.emit({ type: "gate-decided", stepIndex, weight, decision: "approved", by: decided.decidedBy, kind: decided.decidedKind, plan: decided.plan });
                    await this.refuseStalePlan(decided, previewed.config, config, program, steps);
                    // Recorded with the state the successful update writes (`shifted`): the config must stay the approved one until then.
                    await this.apply({ type: "approval", record: approval }, false);
                    return { planFile: preview.planFile, record: decided };
                }
                case "rejected": {
                    const decided = wait.record;
                    this.emit({ type: "gate-decided", stepIndex, weight, decision: "rejected", by: decided.decidedBy, kind: decided.decidedKind, plan: decided.plan, reason: decided.reason });
                    const approval: ApprovalRecord = { stepIndex, weight, decision: "rejected", by: decided.decidedBy, kind: decided.decidedKind, at: decided.decidedAt ?? this.now(), plan: decided.plan, ...(decided.reason !== undefined ? { reason: decided.reason } : {}) };
                    await this.apply({ type: "approval", record: approval });
                    return undefined;
                }
                case "lost":
                    throw new ReleaseError({
                        code: "GATE_LOST",
                        message: `stack ${stack}, service ${service}: the approval gate before step ${stepIndex + 1} (${weight}%) is gone: ${wait.why}; nothing was applied`,
                        hint: `run the same canary command again: it previews step ${stepIndex + 1} again and waits for a new approval; or mesh-release rollback --stack ${stack} --service ${service}`,
                        exitCode: ExitCode.Infrastructure,
                    });
                case "pending":
                    if (wait.expired && gate.onTimeout === "rollback") {
                        await this.closeGate({ ...record, status: "timed-out", decidedAt: this.now() });
                        this.emit({ type: "gate-decided", stepIndex, weight, decision: "timed-out", plan: record.plan });
                        await this.apply({ type: "approval", record: { stepIndex, weight, decision: "timed-out", at: this.now(), plan: record.plan } });
                        return undefined;
                    }
                    if (wait.expired && !notedWaiting) {
                        notedWaiting = true;
                        this.emit({ type: "gate-decided", stepIndex, weight, decision: "still-waiting", plan: record.plan });
                    }
                    break;
                default: {
                    const never: never = wait;
                    return never;
                }
            }
            await this.clock.sleep(this.deps.gatePollMs ?? 5000, this.deps.signal);
        }
    }

    /**
     * After an approval: the program and the config must be what the approved plan was made with. Otherwise nothing is
     * applied (the mesh stays at the last applied step) and the run stops with PLAN_STALE, the record saying so.
     */
    private async refuseStalePlan(decided: GateRecord, previewedConfig: Record<string, unknown>, config: string, program: string, steps: readonly number[]): Promise<void> {
        const backend = this.deps.driver.gates;
        const now = await this.deps.driver.read();
        const programNow = (await backend?.programDigest()) ?? program;
        const changed: string[] = [];
        if (configDigest(now.config, this.digestKey) !== config) {
            changed.push(`the stack config changed (${changedPaths(previewedConfig, now.config).join(", ")})`);
        }
        if (programNow !== program) {
            changed.push(`the program changed (${program} -> ${programNow})`);
        }
        if (changed.length === 0) {
            return;
        }
        const stack = this.deps.driver.stackName;
        const { service } = this.req;
        const step = `step ${decided.stepIndex + 1}/${decided.steps} (${decided.weight}%)`;
        const last = decided.stepIndex > 0 ? `${steps[decided.stepIndex - 1] ?? 0}%` : "0% (stable only)";
        await this.closeGate({ ...decided, status: "stale", reason: changed.join("; ") });
        throw new ReleaseError({
            code: "PLAN_STALE",
            message:
                `stack ${stack}, service ${service}: the plan of ${step} approved by ${decided.decidedBy ?? "?"} (${decided.plan}) is stale: ${changed.join("; ")} ` +
                `since its preview; nothing was applied: the mesh stays at the last applied step, canary ${last}`,
            hint:
                `an approval approves exactly the previewed update. Run the same canary command again (mesh-release canary --stack ${stack} --service ${service} --version ${this.version}): ` +
                `it previews ${step} with the stack as it is now and waits for a new approval; or mesh-release rollback --stack ${stack} --service ${service}`,
            exitCode: ExitCode.Infrastructure,
        });
    }

    /** Writes the gate record's final status; a failure is a warning (the release already acted on the decision). */
    private async closeGate(record: GateRecord): Promise<void> {
        try {
            await this.deps.driver.gates?.writeRecord(this.req.service, JSON.stringify(record));
        } catch (err) {
            this.emit({ type: "warning", message: `cannot write the gate record of ${this.req.service} (${record.status}): ${errorMessage(err)}` });
        }
    }

    /**
     * How long this run may go without an update, ms: the analysis window, plus the longest gate timeout of this service
     * (a release waiting at a gate runs no update; its lease must outlast the wait: lease.ts).
     */
    private holdMs(): number {
        const gates = this.policy.gates.filter((g) => g.services === undefined || g.services.includes(this.req.service));
        return this.policy.intervalMs + Math.max(0, ...gates.map((g) => g.timeoutMs));
    }

    /** Writes the edits and runs one update with retries (updater.ts). */
    private async update(
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

    private async finish(outcome: Outcome, message: string, hint?: string, notify = true): Promise<RolloutResult> {
        // rollback/abort did what was asked: exit 0. A canary that ends rolled back exits 1.
        const asked = (this.req.action === "rollback" || this.req.action === "abort") && (outcome === "rolled-back" || outcome === "aborted");
        const exitCode = asked ? ExitCode.Ok : outcomeExitCode(outcome);
        if (notify && this.state !== null && this.policy !== undefined) {
            if (outcome === "promoted" && this.state.phase === "Promoted") {
                await this.hooks("post-rollout");
            } else if (outcome === "rolled-back" || outcome === "aborted") {
                await this.hooks("rollback");
            }
        }
        const text = this.redactor.redact(message);
        this.emit({ type: "rollout-finished", version: this.version, outcome, exitCode, message: text, state: this.state });
        return { outcome, exitCode, message: text, hint, state: this.state };
    }

    /**
     * The hint a failed run ends with. A rollback or abort refused because a release holds the stack: waiting is
     * not the only way, the running release rolls back at once on SIGINT (bin/mesh-release.ts).
     */
    private failHint(release: ReleaseError): string | undefined {
        if (release.code === "CONCURRENT_UPDATE" && (this.req.action === "rollback" || this.req.action === "abort")) {
            return (
                `a release is running on this stack (named above). To roll it back now, send it SIGINT: Ctrl-C in its terminal, or kill -INT <its pid>; ` +
                "it cancels its running update and rolls back at once (recorded Aborted). " +
                `Otherwise wait for it to finish and run mesh-release ${this.req.action} again`
            );
        }
        return release.hint;
    }

    private fail(err: unknown): RolloutResult {
        const release = toReleaseError(err);
        const message = this.redactor.redact(release.message);
        const hint = this.redactor.redact(this.failHint(release) ?? "") || undefined;
        this.emit({ type: "rollout-finished", version: this.version, outcome: "failed", exitCode: release.exitCode, message, state: this.state });
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
                return new ReleaseError({ code: "PULUMI_UNAVAILABLE", message: err.message, hint: "check the Pulumi CLI (--pulumi-root), PULUMI_BACKEND_URL and what the stack's secrets provider needs: PULUMI_CONFIG_PASSPHRASE, or the KMS's credentials (hashivault://: VAULT_ADDR and VAULT_TOKEN)", exitCode: ExitCode.Infrastructure });
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

