/**
 * Where a run starts (release/rollout/index.ts): the machine's plan for the command (start, resume, noop or
 * refuse), the edits of the first update it leads to (validated before anything is written), and a recorded
 * state that is inconsistent, said as soon as it is read.
 */
import type { RolloutState } from "../../contract/release";
import type { ConfigEdit } from "../driver/driver";
import { promoteFinalizeEdits, promoteRouteEdits, rollbackEdits, shiftEdits, versionsOf } from "../core/edits";
import { planPromote, planRollback, planStart, stateInconsistency, type RolloutAction, type StartPlan } from "../core/machine";
import type { ReleasePolicy, ServiceContext } from "../core/policy";
import type { Run } from "./types";

/**
 * A recorded rollout in flight whose state is inconsistent (a step index past its steps) is said as soon as
 * it is read, with what is wrong and the fix; the run then rolls it back (canary) or repairs it (rollback,
 * abort), and ends with the hint.
 */
export function noteInconsistentState(run: Run, recorded: RolloutState | undefined, action: RolloutAction): void {
    if (recorded === undefined || !["Progressing", "RollingBack"].includes(recorded.phase)) {
        return;
    }
    const inconsistent = stateInconsistency(recorded, run.policy.machine);
    if (inconsistent === undefined) {
        return;
    }
    const stack = run.deps.driver.stackName;
    const { service } = run.req;
    const rollbackCommand = `mesh-release rollback --stack ${stack} --service ${service}`;
    const what =
        action === "rollback" || action === "abort"
            ? `the ${action} repairs it (all traffic to stable, the step index back inside the steps)`
            : "nothing is shifted or promoted on it: the canary is rolled back to stable, which repairs it";
    run.emit({ type: "warning", message: `the recorded rollout state rollouts.${service} is inconsistent: ${inconsistent}; ${what}. Fix: ${rollbackCommand} repairs such a state` });
    run.repairHint =
        action === "rollback" || action === "abort"
            ? `the recorded state was inconsistent (${inconsistent}) and is repaired; start again with mesh-release canary --stack ${stack} --service ${service} --version ${recorded.version}`
            : `the recorded state was inconsistent (${inconsistent}); ${rollbackCommand} repairs such a state, and this run did the same: ${service} is on stable and the state is consistent again. Start again with mesh-release canary --stack ${stack} --service ${service} --version ${recorded.version}`;
}

export function planFor(run: Run, action: RolloutAction, ctx: ServiceContext, policy: ReleasePolicy): StartPlan {
    const now = run.now();
    switch (action) {
        case "canary":
            return planStart(ctx.state, run.version, policy.steps, now);
        case "promote":
            return planPromote(ctx.state, run.version, policy.steps, run.req.force === true, now, policy.machine);
        case "rollback":
        case "abort":
            return planRollback(ctx.state, run.version === "" ? undefined : run.version, action === "abort", now, policy.machine);
        default: {
            const never: never = action;
            return never;
        }
    }
}

/** The edits of the first update the plan leads to (validated before anything is written). */
export function firstEdits(run: Run, state: RolloutState, steps: readonly number[]): ConfigEdit[] {
    switch (state.phase) {
        case "Progressing":
            return shiftEdits(run.req.service, state.version, steps[Math.max(0, state.stepIndex)] ?? 0, state);
        case "Promoting":
            return state.promotionStage === 0 ? promoteRouteEdits(run.req.service, state.version, run.previousStable(state.version), state) : promoteFinalizeEdits(run.req.service, state);
        case "RollingBack":
        case "RolledBack":
        case "Aborted":
        case "Promoted":
            return rollbackEdits(run.req.service, state, versionsOf(run.config, run.req.service));
        default: {
            const never: never = state.phase;
            return never;
        }
    }
}
