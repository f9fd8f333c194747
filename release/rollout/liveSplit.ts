/**
 * The live split of a run (core/live.ts has the rules): checked before a window is judged, where a hand edit stops
 * the rollout or, with the canary failing, rolls it back at once; and named before a rollback or promotion update
 * replaces it.
 */
import { valueAt } from "../../contract/paths";
import type { AnalysisResult } from "../core/analysis";
import { liveRouteKindOf, protocolOf, stableToRestore, versionsOf } from "../core/edits";
import { ExitCode, ReleaseError, errorMessage } from "../core/errors";
import { appliedShares, handEditOf, handEditText, liveSplitOf, liveSplitProblems, observedShare, otherKindNote, type LiveObject, type LiveReader, type LiveSplit } from "../core/live";
import { stepsOf, type MachineEvent } from "../core/machine";
import type { Run } from "./types";

/**
 * The service's live split, of the kind the stack's config says (`liveRouteKindOf`). Warns, saying `consequence`,
 * when the API server cannot be read, or when the service has none of that kind but an object of the other routing API
 * (a VirtualService left in a gateway-api stack, an HTTPRoute in an Istio one): that one is not read in its place.
 */
async function readLiveSplit(run: Run, read: LiveReader, versions: { canary?: string }, consequence: string): Promise<LiveSplit | undefined> {
    const { service } = run.req;
    const { namespace } = run.ctx;
    const kind = liveRouteKindOf(run.config, service);
    let objects: LiveObject[];
    try {
        objects = await read(namespace);
    } catch (err) {
        run.emit({ type: "warning", message: `cannot read the live ${kind} of ${service} (${errorMessage(err)}); ${consequence}` });
        return undefined;
    }
    const split = liveSplitOf(objects, namespace, service, { ...versions, protocol: protocolOf(run.config, service), kind });
    const other = split === undefined ? otherKindNote(objects, namespace, service, kind) : undefined;
    if (other !== undefined) {
        run.emit({ type: "warning", message: `no live ${kind} of ${service} in namespace ${namespace}: ${other}; ${consequence}` });
    }
    return split;
}

/**
 * When the live split is not the step's (a hand edit of the VirtualService or Gateway API route, which would otherwise be judged as the
 * step and overwritten by the next update): if the window measured the canary failing, that is evidence of harm to
 * the users the edit sent to it, so the rollout rolls back at once (returns the `harm` event; the rollback names the
 * edit it overwrites). Otherwise the edit is respected: the rollout stops, nothing judged or written, and the error
 * gives the window's measurement.
 */
export async function checkLiveSplit(run: Run, stepIndex: number, weight: number, result: AnalysisResult): Promise<Extract<MachineEvent, { type: "harm" }> | undefined> {
    const live = run.deps.live;
    if (live === undefined) {
        return undefined;
    }
    const { service } = run.req;
    const split = live.read === undefined ? undefined : await readLiveSplit(run, live.read, versionsOf(run.config, service), "only the canary's observed share is checked");
    const pins = valueAt(run.config, ["services", service, "pins"]);
    const extraCanaryRoutes = (Array.isArray(pins) && pins.length > 0) || valueAt(run.config, ["services", service, "abTest"]) !== undefined;
    // Sticky sessions keep the version of the step they began in: the floor is the rollout's first weight.
    const sticky = valueAt(run.config, ["services", service, "canary", "sessionAffinity"]) !== undefined;
    const sessionFloor = sticky ? stepsOf(run.requireState(), run.policy.machine)[0] : undefined;
    const problems = liveSplitProblems({
        weight,
        live: split,
        observed: observedShare(result.metrics),
        minRequests: run.policy.thresholds.minRequests,
        extraCanaryRoutes,
        ...(sessionFloor === undefined ? {} : { sessionFloor }),
    });
    if (problems.length === 0) {
        return undefined;
    }
    const stack = run.deps.driver.stackName;
    const where = `stack ${stack}, service ${service}, step ${stepIndex + 1} (${weight}%)`;
    const measured = `the window measured ${result.verdict}: ${result.reason}`;
    if (result.verdict === "Failed") {
        run.emit({
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
 * Before a rollback or promotion update: when the live VirtualService (or Gateway API route) holds a split no update of this rollout
 * applied (a hand edit; the live-split check stopped the rollout on it), say so, naming the object, the live
 * share and the one the update writes. Never refuses: a rollback is the safe action, and a promotion was
 * asked for. `writes`: the share of the version under release after the update.
 */
export async function noteHandEdit(run: Run, action: "rollback" | "promotion", writes: number): Promise<void> {
    const read = run.deps.live?.read;
    const state = run.requireState();
    const { service } = run.req;
    const versions = versionsOf(run.config, service);
    // Only while the canary subset selects the version under release (not after a promotion's first update).
    if (read === undefined || versions.canary !== state.version || versions.stable === state.version) {
        return;
    }
    const split = await readLiveSplit(run, read, versions, "a hand edit, if any, is overwritten without being named");
    if (split === undefined) {
        return;
    }
    const routed = valueAt(run.config, ["services", service, "canary", "routed"]);
    const weight = valueAt(run.config, ["services", service, "canary", "weight"]);
    const configured = routed === false || typeof weight !== "number" ? 0 : weight;
    const edit = handEditOf(split, appliedShares(state, stepsOf(state, run.policy.machine), configured), writes);
    if (edit === undefined) {
        return;
    }
    const stable = stableToRestore(state, versions) ?? versions.stable;
    run.emit({ type: "hand-edit", ...edit, message: handEditText(edit, { action, version: state.version, stable }) });
}
