/**
 * The rollout state machine. Pure: no I/O, no clock (the caller passes `now`), no randomness.
 *
 * Two functions, in the spirit of Argo Rollouts' pure helpers (`GetCurrentSetWeight`, `assessMetricStatus`):
 * - {@link decide}: the recorded state -> the next action (shift the weight, analyze, ask to promote,
 *   promote, roll back, done). The next action depends on nothing but the state, so a process killed at
 *   any point resumes by reading `rollouts.<svc>` and calling `decide` again.
 * - {@link transition}: the state + what happened (an update finished, a verdict, a gate answered) ->
 *   the next state. The caller records the state in the stack config after every transition.
 *
 * Safety rules this module owns (and the table tests pin):
 * - Nothing is promoted unless the analysis of the last step was Successful (`stepAnalyzed` on the last
 *   step is the only way into `Promoting`).
 * - A step whose weight was written but whose update did not finish (`stepApplied` false) is applied again;
 *   a step applied but not analyzed is analyzed (again); analysis is never skipped.
 * - A recorded state mesh-release never writes (a step index past the steps: a hand edit, or a policy whose
 *   steps shrank under a state that recorded none) is named by {@link stateInconsistency} when it is read;
 *   the only thing decided on it is a rollback, which puts the index back inside the steps.
 * - Failed and Inconclusive checks count over the whole rollout; Error checks count consecutively (a
 *   Prometheus outage that heals resets it, like Argo's `consecutiveErrorLimit`). A counter above its
 *   limit rolls back.
 */
import type { ApprovalRecord, RolloutState } from "../../contract/release";
import type { Outcome, Verdict } from "./events";

/** The parts of the policy the machine needs. */
export interface MachinePolicy {
    /** Canary weights, percent, ascending is not required but each must be 1..100. */
    steps: readonly number[];
    /** Failed checks tolerated; one more rolls back. */
    failureLimit: number;
    /** Inconclusive checks tolerated; one more rolls back. */
    inconclusiveLimit: number;
    /** Consecutive Error checks tolerated; one more rolls back. */
    errorLimit: number;
}

export type Action =
    | { type: "shift"; stepIndex: number; weight: number }
    | { type: "analyze"; stepIndex: number; weight: number }
    | { type: "confirm-promotion" }
    | { type: "promote"; stage: 0 | 1 }
    | { type: "rollback"; reason: string }
    | { type: "done"; outcome: Exclude<Outcome, "failed"> };

export type MachineEvent =
    /** The caller is about to run the update that applies `steps[stepIndex]`. */
    | { type: "shift-started"; stepIndex: number }
    /** That update succeeded. */
    | { type: "shifted" }
    /** An update kept failing after its retries (a shift; promotion failures are not rolled back). */
    | { type: "update-failed"; message: string }
    /** The caller is about to run the rollback `decide` asked for (from Progressing: an inconsistent state). */
    | { type: "rollback-started"; reason: string }
    | { type: "verdict"; verdict: Verdict; reason: string }
    /** The step's window measured harm while the live split was not the step's (a hand edit sent more users to the
     * canary than the step): roll back now, whatever the failure limit, since every extra request is at risk. */
    | { type: "harm"; reason: string }
    /** A webhook gate answered. `confirm-promotion` ok starts promotion; any gate not ok rolls back. */
    | { type: "gate"; hookType: "pre-rollout" | "pre-step" | "confirm-promotion"; ok: boolean; reason: string }
    /**
     * An approval gate before the step being applied decided (release/core/gate.ts): recorded in `approvals`; a rejection or
     * a timeout with `onTimeout: rollback` rolls back.
     */
    | { type: "approval"; record: ApprovalRecord }
    | { type: "promoted"; stage: 0 | 1 }
    | { type: "rolled-back" }
    | { type: "abort"; reason: string };

/**
 * The revision of a rollout that starts at `now` (RFC 3339): "r" and the start time in milliseconds, base 36 (a cookie
 * value and a label; never all digits, which `pulumi config set --path` would store as a number). Two rollouts of one
 * service never start in the same millisecond: a second release of a service is refused while one runs.
 */
export function revisionAt(now: string): string {
    const ms = Date.parse(now);
    return `r${Number.isFinite(ms) ? ms.toString(36) : "0"}`;
}

/** A new rollout of `version`: before the first shift. */
export function initialState(version: string, steps: readonly number[], now: string): RolloutState {
    return {
        phase: "Progressing",
        version,
        revision: revisionAt(now),
        stepIndex: -1,
        steps: [...steps],
        stepApplied: false,
        stepAnalyzed: false,
        promotionStage: 0,
        aborted: false,
        failedChecks: 0,
        inconclusiveChecks: 0,
        errorChecks: 0,
        updatedAt: now,
        message: `rollout of ${version} started`,
    };
}

/** The steps a state runs with: its own recorded steps, else the policy's. */
export function stepsOf(state: RolloutState, policy: MachinePolicy): readonly number[] {
    return state.steps ?? policy.steps;
}

/**
 * What is inconsistent in a recorded state, in words naming the values, or undefined when nothing is. A state
 * mesh-release writes never is: its step index is -1 or inside its steps.
 */
export function stateInconsistency(state: RolloutState, policy: MachinePolicy): string | undefined {
    const steps = stepsOf(state, policy);
    if (state.stepIndex >= steps.length) {
        const whose = state.steps !== undefined ? "its recorded steps" : "the policy's steps (the state recorded none)";
        return `the recorded step index ${state.stepIndex} (step ${state.stepIndex + 1}) lies past ${whose} [${steps.join(", ")}], which have ${steps.length} step${steps.length === 1 ? "" : "s"}`;
    }
    return undefined;
}

/**
 * Where a state is, for a person: "before the first step", "step 2/3", or for an inconsistent index "step
 * index 7, past the 2 steps" (never "step 8/2").
 */
export function stepLabel(state: RolloutState, policySteps: readonly number[]): string {
    const steps = state.steps ?? policySteps;
    if (state.stepIndex < 0) {
        return "before the first step";
    }
    if (state.stepIndex >= steps.length) {
        return `step index ${state.stepIndex}, past the ${steps.length} step${steps.length === 1 ? "" : "s"} (inconsistent)`;
    }
    return `step ${state.stepIndex + 1}/${steps.length}`;
}

/** The step index put back inside the steps (a rollback leaves a consistent state behind). */
function clampedStep(state: RolloutState, policy: MachinePolicy): number {
    return Math.min(state.stepIndex, stepsOf(state, policy).length - 1);
}

/**
 * Canary weight the stack carries in this state (Argo's GetCurrentSetWeight): the weight of the
 * current step while progressing, 0 before the first shift and after promotion or rollback.
 */
export function currentWeight(state: RolloutState, policy: MachinePolicy): number {
    switch (state.phase) {
        case "Progressing":
            return state.stepIndex < 0 ? 0 : (stepsOf(state, policy)[state.stepIndex] ?? 0);
        case "Promoting":
        case "Promoted":
        case "RollingBack":
        case "RolledBack":
        case "Aborted":
            return 0;
        default: {
            const never: never = state.phase;
            return never;
        }
    }
}

/** The next action for a recorded state. */
export function decide(state: RolloutState, policy: MachinePolicy): Action {
    const steps = stepsOf(state, policy);
    switch (state.phase) {
        case "Promoted":
            return { type: "done", outcome: "promoted" };
        case "RolledBack":
            return { type: "done", outcome: "rolled-back" };
        case "Aborted":
            return { type: "done", outcome: "aborted" };
        case "RollingBack":
            return { type: "rollback", reason: state.message ?? "rolling back" };
        case "Promoting":
            return { type: "promote", stage: state.promotionStage === 0 ? 0 : 1 };
        case "Progressing": {
            if (state.stepIndex < 0) {
                return shiftTo(0, steps);
            }
            const inconsistent = stateInconsistency(state, policy);
            if (inconsistent !== undefined) {
                // Never promote or shift on it: roll back (the caller starts it with `rollback-started`).
                return { type: "rollback", reason: `the recorded rollout state is inconsistent: ${inconsistent}` };
            }
            if (!state.stepApplied) {
                return shiftTo(state.stepIndex, steps);
            }
            if (!state.stepAnalyzed) {
                return { type: "analyze", stepIndex: state.stepIndex, weight: steps[state.stepIndex] ?? 0 };
            }
            if (state.stepIndex < steps.length - 1) {
                return shiftTo(state.stepIndex + 1, steps);
            }
            return { type: "confirm-promotion" };
        }
        default: {
            const never: never = state.phase;
            return never;
        }
    }
}

function shiftTo(stepIndex: number, steps: readonly number[]): Action {
    return { type: "shift", stepIndex, weight: steps[stepIndex] ?? 0 };
}

/** Thrown for an event that cannot happen in the state's phase: a bug in the caller, not a user error. */
export class InvalidTransitionError extends Error {
    constructor(state: RolloutState, event: MachineEvent) {
        super(`event ${event.type} is not valid in phase ${state.phase} (step ${state.stepIndex})`);
        this.name = "InvalidTransitionError";
    }
}

/** The state after `event`. Never mutates `state`. */
export function transition(state: RolloutState, event: MachineEvent, policy: MachinePolicy, now: string): RolloutState {
    const next = (patch: Partial<RolloutState>): RolloutState => ({ ...state, ...patch, updatedAt: now });
    const rollBack = (message: string, aborted = false): RolloutState =>
        next({ phase: "RollingBack", message, aborted: state.aborted || aborted });
    const invalid = (): never => {
        throw new InvalidTransitionError(state, event);
    };
    const progressing = state.phase === "Progressing";

    switch (event.type) {
        case "shift-started": {
            const steps = stepsOf(state, policy);
            if (!progressing || event.stepIndex < 0 || event.stepIndex >= steps.length) {
                return invalid();
            }
            const same = event.stepIndex === state.stepIndex;
            return next({
                stepIndex: event.stepIndex,
                stepApplied: false,
                // Re-applying the same step keeps nothing analyzed either: analysis follows every apply.
                stepAnalyzed: false,
                message: `${same ? "re-applying" : "shifting to"} step ${event.stepIndex + 1}/${steps.length}: canary weight ${steps[event.stepIndex]}%`,
            });
        }
        case "shifted":
            return progressing && state.stepIndex >= 0 ? next({ stepApplied: true }) : invalid();
        case "update-failed":
            return progressing ? rollBack(`update failed: ${event.message}`) : invalid();
        case "rollback-started":
            if (state.phase === "RollingBack") {
                return state;
            }
            return progressing && decide(state, policy).type === "rollback"
                ? next({ phase: "RollingBack", message: event.reason, stepIndex: clampedStep(state, policy), stepApplied: false, stepAnalyzed: false })
                : invalid();
        case "verdict":
            return progressing && state.stepApplied && !state.stepAnalyzed ? applyVerdict(state, event, policy, now) : invalid();
        case "harm":
            return progressing && state.stepApplied && !state.stepAnalyzed
                ? { ...rollBack(event.reason), failedChecks: state.failedChecks + 1, errorChecks: 0 }
                : invalid();
        case "gate":
            if (!progressing) {
                return invalid();
            }
            if (!event.ok) {
                return rollBack(`${event.hookType} webhook refused: ${event.reason}`);
            }
            if (event.hookType !== "confirm-promotion") {
                return state;
            }
            return decide(state, policy).type === "confirm-promotion"
                ? next({ phase: "Promoting", promotionStage: 0, message: "promotion confirmed" })
                : invalid();
        case "approval": {
            if (!progressing || state.stepApplied) {
                return invalid();
            }
            const approvals = [...(state.approvals ?? []), event.record];
            const r = event.record;
            const step = `step ${r.stepIndex + 1} (${r.weight}%)`;
            switch (r.decision) {
                case "approved":
                    return next({ approvals, message: `gate before ${step} approved by ${r.by ?? "?"}` });
                case "rejected":
                    return { ...rollBack(`gate before ${step} rejected by ${r.by ?? "?"}${r.reason !== undefined ? `: ${r.reason}` : ""}`), approvals };
                case "timed-out":
                    return { ...rollBack(`gate before ${step} timed out without a decision (onTimeout: rollback)`), approvals };
                default: {
                    const never: never = r.decision;
                    return never;
                }
            }
        }
        case "promoted":
            if (state.phase !== "Promoting" || event.stage !== state.promotionStage) {
                return invalid();
            }
            return event.stage === 0
                ? next({ promotionStage: 1, message: `traffic on ${state.version} as stable; removing the canary subset` })
                : next({ phase: "Promoted", message: `${state.version} promoted` });
        case "rolled-back":
            return state.phase === "RollingBack"
                ? next({ phase: state.aborted ? "Aborted" : "RolledBack", stepIndex: clampedStep(state, policy), stepApplied: false, stepAnalyzed: false })
                : invalid();
        case "abort":
            switch (state.phase) {
                case "Progressing":
                    return rollBack(`aborted: ${event.reason}`, true);
                case "RollingBack":
                    return next({ aborted: true });
                case "Promoting": // analysis passed; promotion is finished, not undone (rerun to finish it)
                case "Promoted":
                case "RolledBack":
                case "Aborted":
                    return state;
                default: {
                    const never: never = state.phase;
                    return never;
                }
            }
        default: {
            const never: never = event;
            return never;
        }
    }
}

function applyVerdict(
    state: RolloutState,
    event: Extract<MachineEvent, { type: "verdict" }>,
    policy: MachinePolicy,
    now: string,
): RolloutState {
    const step = `step ${state.stepIndex + 1}`;
    const base = { ...state, updatedAt: now };
    switch (event.verdict) {
        case "Successful":
            return { ...base, stepAnalyzed: true, errorChecks: 0, message: `${step} analysis successful: ${event.reason}` };
        case "Failed": {
            const failedChecks = state.failedChecks + 1;
            return limitReached(failedChecks, policy.failureLimit)
                ? { ...base, failedChecks, errorChecks: 0, phase: "RollingBack", message: `${step} analysis failed (${failedChecks} failed, limit ${policy.failureLimit}): ${event.reason}` }
                : { ...base, failedChecks, errorChecks: 0, message: `${step} analysis failed (${failedChecks}/${policy.failureLimit} tolerated): ${event.reason}` };
        }
        case "Inconclusive": {
            const inconclusiveChecks = state.inconclusiveChecks + 1;
            return limitReached(inconclusiveChecks, policy.inconclusiveLimit)
                ? { ...base, inconclusiveChecks, errorChecks: 0, phase: "RollingBack", message: `${step} analysis inconclusive too often (${inconclusiveChecks}, limit ${policy.inconclusiveLimit}): ${event.reason}` }
                : { ...base, inconclusiveChecks, errorChecks: 0, message: `${step} analysis inconclusive (${inconclusiveChecks}/${policy.inconclusiveLimit} tolerated): ${event.reason}` };
        }
        case "Error": {
            const errorChecks = state.errorChecks + 1;
            return limitReached(errorChecks, policy.errorLimit)
                ? { ...base, errorChecks, phase: "RollingBack", message: `${step} analysis errored ${errorChecks} times in a row (limit ${policy.errorLimit}): ${event.reason}` }
                : { ...base, errorChecks, message: `${step} analysis error (${errorChecks}/${policy.errorLimit} tolerated): ${event.reason}` };
        }
        default: {
            const never: never = event.verdict;
            return never;
        }
    }
}

/** A count above the tolerated limit rolls back (limit 0: the first one does). */
function limitReached(count: number, limit: number): boolean {
    return count > limit;
}

/** What `canary --version V` does given the recorded state of the service. */
export type StartPlan =
    | { kind: "start"; state: RolloutState }
    | { kind: "resume"; state: RolloutState }
    | { kind: "noop"; state: RolloutState; reason: string }
    | { kind: "refuse"; reason: string; hint: string };

/**
 * Start, resume or refuse. In-flight phases of the same version resume (never restart: the counters and
 * the step survive a kill); a terminal state starts over (a RolledBack version may be tried again); an
 * in-flight rollout of another version is refused.
 */
export function planStart(existing: RolloutState | undefined, version: string, steps: readonly number[], now: string): StartPlan {
    if (existing === undefined) {
        return { kind: "start", state: initialState(version, steps, now) };
    }
    switch (existing.phase) {
        case "Progressing":
        case "Promoting":
        case "RollingBack":
            if (existing.version === version) {
                return { kind: "resume", state: existing };
            }
            return {
                kind: "refuse",
                reason: `a rollout of ${existing.version} is ${existing.phase} (${stepLabel(existing, steps)}); ${version} cannot start before it ends`,
                hint: `finish it first: mesh-release canary --version ${existing.version} (resume), or mesh-release abort`,
            };
        case "Promoted":
            if (existing.version === version) {
                return { kind: "noop", state: existing, reason: `${version} is already promoted` };
            }
            return { kind: "start", state: initialState(version, steps, now) };
        case "RolledBack":
        case "Aborted":
            return { kind: "start", state: initialState(version, steps, now) };
        default: {
            const never: never = existing.phase;
            return never;
        }
    }
}

/** What a rollout run is asked to do (`RolloutRequest.action`): the canary loop, a manual promotion, a rollback or an abort. The one-shot commands (`ab-test`, `fault`, `status`) are not rollout actions: release/orchestration/oneShot.ts. */
export type RolloutAction = "canary" | "promote" | "rollback" | "abort";

/**
 * What `promote --version V [--force]` does given the recorded state. Nothing is promoted without a
 * Successful analysis of the last step unless `force` says so explicitly (recorded in the state message).
 */
export function planPromote(existing: RolloutState | undefined, version: string, steps: readonly number[], force: boolean, now: string, policy: MachinePolicy): StartPlan {
    const forced = (from: RolloutState, why: string): StartPlan => ({
        kind: "resume",
        state: { ...from, phase: "Promoting", promotionStage: 0, updatedAt: now, message: `promotion forced with --force ${why} (analysis skipped)` },
    });
    const inFlight = existing !== undefined && existing.version === version && existing.phase !== "Promoted" && existing.phase !== "RolledBack" && existing.phase !== "Aborted";
    if (existing === undefined || !inFlight) {
        if (existing !== undefined && existing.version === version && existing.phase === "Promoted") {
            return { kind: "noop", state: existing, reason: `${version} is already promoted` };
        }
        if (existing !== undefined && existing.version !== version && (existing.phase === "Progressing" || existing.phase === "Promoting" || existing.phase === "RollingBack")) {
            return planStart(existing, version, steps, now); // refuse: another version in flight
        }
        return force
            ? forced(initialState(version, steps, now), "without a rollout")
            : {
                  kind: "refuse",
                  reason: `no rollout of ${version} has passed its analysis; nothing is promoted without one`,
                  hint: `run mesh-release canary --version ${version}, or promote --force to skip the analysis`,
              };
    }
    switch (existing.phase) {
        case "Promoting":
            return { kind: "resume", state: existing };
        case "RollingBack":
            return { kind: "refuse", reason: `${version} is being rolled back (${existing.message ?? ""})`, hint: "finish it with mesh-release rollback, then start a new canary" };
        case "Progressing":
            if (decide(existing, policy).type === "confirm-promotion") {
                return { kind: "resume", state: transition(existing, { type: "gate", hookType: "confirm-promotion", ok: true, reason: "" }, policy, now) };
            }
            return force
                ? forced(existing, `at ${stepLabel(existing, policy.steps)}`)
                : {
                      kind: "refuse",
                      reason: `the analysis of ${version} has not passed its last step (at ${stepLabel(existing, policy.steps)}); nothing is promoted without it`,
                      hint:
                          stateInconsistency(existing, policy) !== undefined
                              ? `the recorded state is inconsistent (${stateInconsistency(existing, policy) ?? ""}): mesh-release rollback repairs it, then start again with mesh-release canary --version ${version}`
                              : `run mesh-release canary --version ${version} to continue the rollout, or promote --force to skip the analysis`,
                  };
        case "Promoted":
        case "RolledBack":
        case "Aborted":
            return { kind: "noop", state: existing, reason: `the rollout of ${version} is ${existing.phase}` };
        default: {
            const never: never = existing.phase;
            return never;
        }
    }
}

/**
 * What `rollback` / `abort` does: every in-flight rollout goes to RollingBack (Aborted at the end for
 * `abort`), a promotion stopped midway included: it is undone, the previous stable version takes the
 * traffic again (or `promote` finishes it instead). With no rollout recorded, the canary `version` (if the stack has one) is rolled back all the same.
 */
export function planRollback(existing: RolloutState | undefined, canaryVersion: string | undefined, abort: boolean, now: string, policy: MachinePolicy): StartPlan {
    const reason = abort ? "aborted with mesh-release abort" : "rolled back with mesh-release rollback";
    if (existing !== undefined && (existing.phase === "Progressing" || existing.phase === "RollingBack")) {
        const next = transition(existing, { type: "abort", reason: abort ? "mesh-release abort" : "mesh-release rollback" }, policy, now);
        const inconsistent = stateInconsistency(existing, policy);
        return {
            kind: "resume",
            state: {
                ...next,
                // the rollback repairs an inconsistent state: its index back inside the steps
                stepIndex: clampedStep(existing, policy),
                aborted: abort || existing.aborted,
                message: existing.phase === "RollingBack" ? next.message : inconsistent !== undefined ? `${reason} (repairing an inconsistent state: ${inconsistent})` : reason,
            },
        };
    }
    if (existing !== undefined && existing.phase === "Promoting") {
        // A promotion stopped midway is undone: the rollback puts the previous stable back (edits.ts
        // rollbackEdits swaps the versions when the first promotion update had already run).
        return {
            kind: "resume",
            state: {
                ...existing,
                phase: "RollingBack",
                promotionStage: 0,
                aborted: abort,
                updatedAt: now,
                message: `promotion of ${existing.version} (stopped at update ${existing.promotionStage + 1}/2) undone: ${reason}`,
            },
        };
    }
    if (canaryVersion === undefined) {
        return { kind: "refuse", reason: "the stack has no canary version; there is nothing to roll back", hint: "check --service and --stack" };
    }
    const base = initialState(canaryVersion, policy.steps, now);
    return { kind: "start", state: { ...base, phase: "RollingBack", aborted: abort, message: reason } };
}
