/**
 * The two updates a rollout ends with: promotion (two updates in the order Istio needs, core/edits.ts) and
 * rollback (all traffic to stable, never cancelled by a signal). Each first names a hand edit it replaces
 * (liveSplit.ts).
 */
import { rollbackEdits, promoteFinalizeEdits, promoteRouteEdits, versionsOf } from "../core/edits";
import { ExitCode, ReleaseError } from "../core/errors";
import type { UpdatePurpose } from "../core/events";
import { noteHandEdit } from "./liveSplit";
import type { RolloutResult, Run } from "./types";

export async function promote(run: Run, stage: 0 | 1): Promise<void> {
    let state = run.requireState();
    if (stage === 0) {
        run.emit({ type: "promotion-started" });
        // Recorded with the first update, so a rollback of a promotion stopped midway can put it back.
        const previous = run.previousStable(state.version);
        if (state.previousStable === undefined && previous !== undefined && previous !== state.version) {
            state = { ...state, previousStable: previous };
            run.state = state;
        }
    }
    if (stage === 0) {
        await noteHandEdit(run, "promotion", 100);
    }
    const edits = stage === 0 ? promoteRouteEdits(run.req.service, state.version, run.previousStable(state.version), state) : promoteFinalizeEdits(run.req.service, state);
    const purpose: UpdatePurpose = stage === 0 ? "promote-route" : "promote-finalize";
    const ok = await run.update(purpose, 0, edits, `mesh-release: promote ${run.req.service} ${state.version} (${stage + 1}/2)`);
    if (ok.kind !== "ok") {
        // Analysis passed: a rerun or promote finishes the promotion; rollback undoes it (edits.ts rollbackEdits).
        throw new ReleaseError({
            code: ok.kind === "cancelled" ? "CANCELLED" : "UPDATE_FAILED",
            message: `promotion of ${state.version} stopped at update ${stage + 1}/2: ${ok.kind === "failed" ? ok.message : "cancelled"}`,
            hint:
                `run the same canary command again (or mesh-release promote --stack ${run.deps.driver.stackName} --service ${run.req.service}) to finish the promotion, ` +
                `or mesh-release rollback --stack ${run.deps.driver.stackName} --service ${run.req.service} to undo it (state: Promoting, stage ${stage})`,
            exitCode: ExitCode.Infrastructure,
        });
    }
    await run.apply({ type: "promoted", stage });
}

export async function rollback(run: Run, reason: string): Promise<RolloutResult> {
    if (run.requireState().phase === "Progressing") {
        // decide() asked for a rollback of a Progressing state (an inconsistent one): record it as RollingBack,
        // written with the rollback update below (a process killed before it finishes rolls back again).
        await run.apply({ type: "rollback-started", reason }, false);
    }
    const state = run.requireState();
    run.emit({ type: "rollback-started", reason, aborted: state.aborted });
    await noteHandEdit(run, "rollback", 0);
    // A second signal must not cancel the rollback itself: it runs without the signal.
    const ok = await run.update("rollback", 0, rollbackEdits(run.req.service, state, versionsOf(run.config, run.req.service)), `mesh-release: roll back ${run.req.service} ${state.version}`, false);
    if (ok.kind !== "ok") {
        throw new ReleaseError({
            code: "UPDATE_FAILED",
            message: `rollback of ${state.version} failed: ${ok.kind === "failed" ? ok.message : "cancelled"}; the canary may still receive traffic`,
            hint: `run: mesh-release rollback --stack ${run.deps.driver.stackName} --service ${run.req.service}`,
            exitCode: ExitCode.Infrastructure,
        });
    }
    const done = await run.apply({ type: "rolled-back" });
    return run.finish(done.phase === "Aborted" ? "aborted" : "rolled-back", reason, run.repairHint);
}
