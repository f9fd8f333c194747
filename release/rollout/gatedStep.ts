/**
 * A gated step (release.gates, core/gate.ts has the record and its rules): the step's edits written and previewed
 * with a saved plan, the pending record on the state backend, the wait for its decision, and the refusal of an
 * approved plan whose program or config changed since.
 */
import type { ApprovalRecord } from "../../contract/release";
import { isAborted } from "../core/clock";
import { DriverError, type ConfigEdit } from "../driver/driver";
import { ExitCode, ReleaseError, errorMessage } from "../core/errors";
import { changedPaths, configDigest, gateWait, newGateId, parseGateRecord, MAX_CHANGE_LINES, type GateRecord } from "../core/gate";
import { stepsOf } from "../core/machine";
import type { GateSpec } from "../core/policy";
import type { Run } from "./types";

/**
 * The approval gate before step `stepIndex` (release/core/gate.ts): writes the step's edits, previews them with a saved
 * plan, records the pending gate on the state backend and waits for its decision. Approved: the program and the
 * config must be those the plan was made with (else PLAN_STALE, nothing applied); returns the plan to apply.
 * Rejected, or timed out with `onTimeout: rollback`: the state goes RollingBack (the rollback is never gated);
 * a signal: nothing recorded, the loop aborts. Both return undefined.
 */
export async function passGate(run: Run, gate: GateSpec, stepIndex: number, weight: number, edits: readonly ConfigEdit[], message: string): Promise<{ planFile: string; record: GateRecord } | undefined> {
    const backend = run.deps.driver.gates;
    const stack = run.deps.driver.stackName;
    const { service } = run.req;
    if (backend === undefined) {
        throw new ReleaseError({ code: "CONFIG_INVALID", message: `stack ${stack}: release.gates needs a driver that can hold approval gates`, exitCode: ExitCode.Usage });
    }
    const steps = stepsOf(run.requireState(), run.policy.machine);
    run.validate(edits);
    await run.deps.driver.write(edits);
    let preview: Awaited<ReturnType<typeof backend.preview>>;
    try {
        preview = await backend.preview({ message: `${message} (preview for approval)`, name: `${service}-step${stepIndex + 1}`, holdMs: run.holdMs(), signal: run.deps.signal });
    } catch (err) {
        if (isAborted(run.deps.signal)) {
            return undefined;
        }
        if (err instanceof DriverError && err.kind !== "failed") {
            throw err;
        }
        await run.apply({ type: "update-failed", message: `the preview of step ${stepIndex + 1} for its approval gate failed: ${errorMessage(err)}` });
        return undefined;
    }
    const previewed = await run.deps.driver.read();
    const config = configDigest(previewed.config, run.digestKey);
    const program = await backend.programDigest();
    const now = run.clock.now();
    const record: GateRecord = {
        v: 1,
        id: newGateId(),
        stack,
        service,
        version: run.version,
        stepIndex,
        steps: steps.length,
        weight,
        approval: gate.approval,
        onTimeout: gate.onTimeout,
        plan: preview.planDigest,
        program,
        summary: preview.summary,
        changes: preview.changes.slice(0, MAX_CHANGE_LINES).map((c) => `${c.op} ${c.kind} ${c.name}${c.diffs.length > 0 ? `: ${c.diffs.join("; ")}` : ""}`),
        requestedBy: run.deps.holder ?? `mesh-release canary (pid ${process.pid})`,
        requestedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + gate.timeoutMs).toISOString(),
        status: "pending",
    };
    if (preview.changes.length > MAX_CHANGE_LINES) {
        record.changes.push(`... and ${preview.changes.length - MAX_CHANGE_LINES} more resources`);
    }
    await backend.writeRecord(service, JSON.stringify(record));
    const target = run.deps.driver.stackName;
    run.emit({
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
        if (isAborted(run.deps.signal)) {
            await closeGate(run, { ...record, status: "stale", reason: "the waiting release was interrupted by a signal and rolls back" });
            return undefined;
        }
        const read = parseGateRecord(await backend.readRecord(service));
        const wait = gateWait(read, record.id, run.clock.now());
        switch (wait.kind) {
            case "approved": {
                const decided = wait.record;
                const approval: ApprovalRecord = { stepIndex, weight, decision: "approved", by: decided.decidedBy, kind: decided.decidedKind, at: decided.decidedAt ?? run.now(), plan: decided.plan };
                run.emit({ type: "gate-decided", stepIndex, weight, decision: "approved", by: decided.decidedBy, kind: decided.decidedKind, plan: decided.plan });
                await refuseStalePlan(run, decided, previewed.config, config, program, steps);
                // Recorded with the state the successful update writes (`shifted`): the config must stay the approved one until then.
                await run.apply({ type: "approval", record: approval }, false);
                return { planFile: preview.planFile, record: decided };
            }
            case "rejected": {
                const decided = wait.record;
                run.emit({ type: "gate-decided", stepIndex, weight, decision: "rejected", by: decided.decidedBy, kind: decided.decidedKind, plan: decided.plan, reason: decided.reason });
                const approval: ApprovalRecord = { stepIndex, weight, decision: "rejected", by: decided.decidedBy, kind: decided.decidedKind, at: decided.decidedAt ?? run.now(), plan: decided.plan, ...(decided.reason !== undefined ? { reason: decided.reason } : {}) };
                await run.apply({ type: "approval", record: approval });
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
                    await closeGate(run, { ...record, status: "timed-out", decidedAt: run.now() });
                    run.emit({ type: "gate-decided", stepIndex, weight, decision: "timed-out", plan: record.plan });
                    await run.apply({ type: "approval", record: { stepIndex, weight, decision: "timed-out", at: run.now(), plan: record.plan } });
                    return undefined;
                }
                if (wait.expired && !notedWaiting) {
                    notedWaiting = true;
                    run.emit({ type: "gate-decided", stepIndex, weight, decision: "still-waiting", plan: record.plan });
                }
                break;
            default: {
                const never: never = wait;
                return never;
            }
        }
        await run.clock.sleep(run.deps.gatePollMs ?? 5000, run.deps.signal);
    }
}

/**
 * After an approval: the program and the config must be what the approved plan was made with. Otherwise nothing is
 * applied (the mesh stays at the last applied step) and the run stops with PLAN_STALE, the record saying so.
 */
export async function refuseStalePlan(run: Run, decided: GateRecord, previewedConfig: Record<string, unknown>, config: string, program: string, steps: readonly number[]): Promise<void> {
    const backend = run.deps.driver.gates;
    const now = await run.deps.driver.read();
    const programNow = (await backend?.programDigest()) ?? program;
    const changed: string[] = [];
    if (configDigest(now.config, run.digestKey) !== config) {
        changed.push(`the stack config changed (${changedPaths(previewedConfig, now.config).join(", ")})`);
    }
    if (programNow !== program) {
        changed.push(`the program changed (${program} -> ${programNow})`);
    }
    if (changed.length === 0) {
        return;
    }
    const stack = run.deps.driver.stackName;
    const { service } = run.req;
    const step = `step ${decided.stepIndex + 1}/${decided.steps} (${decided.weight}%)`;
    const last = decided.stepIndex > 0 ? `${steps[decided.stepIndex - 1] ?? 0}%` : "0% (stable only)";
    await closeGate(run, { ...decided, status: "stale", reason: changed.join("; ") });
    throw new ReleaseError({
        code: "PLAN_STALE",
        message:
            `stack ${stack}, service ${service}: the plan of ${step} approved by ${decided.decidedBy ?? "?"} (${decided.plan}) is stale: ${changed.join("; ")} ` +
            `since its preview; nothing was applied: the mesh stays at the last applied step, canary ${last}`,
        hint:
            `an approval approves exactly the previewed update. Run the same canary command again (mesh-release canary --stack ${stack} --service ${service} --version ${run.version}): ` +
            `it previews ${step} with the stack as it is now and waits for a new approval; or mesh-release rollback --stack ${stack} --service ${service}`,
        exitCode: ExitCode.Infrastructure,
    });
}

/** Writes the gate record's final status; a failure is a warning (the release already acted on the decision). */
export async function closeGate(run: Run, record: GateRecord): Promise<void> {
    try {
        await run.deps.driver.gates?.writeRecord(run.req.service, JSON.stringify(record));
    } catch (err) {
        run.emit({ type: "warning", message: `cannot write the gate record of ${run.req.service} (${record.status}): ${errorMessage(err)}` });
    }
}
