/**
 * `mesh-release approve|reject --env … --service … [--step N]`: the decision on the approval gate a release waits
 * at (release/core/gate.ts), from any machine that shares the state backend. It reads the gate record from the service's
 * stack on the backend, shows what the approval approves (the step, the plan's sha256, the previewed changes),
 * writes the decision with who and when, and reads the record back to check that the decision stands (a release
 * that timed out meanwhile writes its own). The waiting release sees it at its next read and goes on (approved:
 * `pulumi up --plan` with the approved plan) or rolls back (rejected). I/O only through the driver's GateBackend.
 */
import { systemClock, type Clock } from "../core/clock";
import type { TrafficDriver } from "../driver/driver";
import { ExitCode, errorMessage } from "../core/errors";
import { decideGate, describeGate, parseGateRecord } from "../core/gate";
import type { CliSink } from "../reporters/types";

export interface GateDecisionCommand {
    decision: "approve" | "reject";
    service: string;
    /** `--step`: the gated step's weight, percent. */
    step?: number;
    /** Who decides: `--by`, else user@host (release/core/gate.ts approverName). */
    by: string;
    /** Whether this process is a CI job (release/core/gate.ts approverKind). */
    kind: "manual" | "ci";
    /** `--reason` of a rejection. */
    reason?: string;
}

export interface GateDecisionDeps {
    driver: TrafficDriver;
    emit: CliSink;
    clock?: Clock;
    /** Wait before reading the record back, ms. Default 1000. */
    settleMs?: number;
}

/** Decides the pending gate. Never throws: the outcome is the exit code (0 done, 2 refused, 3 infrastructure). */
export async function runGateDecision(req: GateDecisionCommand, deps: GateDecisionDeps): Promise<{ exitCode: ExitCode; message: string; hint?: string }> {
    const clock = deps.clock ?? systemClock;
    const stack = deps.driver.stackName;
    const where = { stack, service: req.service };
    const finish = (exitCode: ExitCode, message: string, hint?: string): { exitCode: ExitCode; message: string; hint?: string } => {
        deps.emit({ type: "command-finished", at: clock.now().toISOString(), stack, service: req.service, command: req.decision, ok: exitCode === ExitCode.Ok, exitCode, message, ...(hint !== undefined ? { hint } : {}) });
        return { exitCode, message, ...(hint !== undefined ? { hint } : {}) };
    };
    const backend = deps.driver.gates;
    if (backend === undefined) {
        return finish(ExitCode.Usage, `stack ${stack}: this driver holds no approval gates`);
    }
    try {
        const read = parseGateRecord(await backend.readRecord(req.service));
        if (read.problem !== undefined) {
            return finish(ExitCode.Infrastructure, `stack ${stack}, service ${req.service}: ${read.problem}; nothing was decided`, `a release waiting at a gate writes it again when rerun; remove it with: pulumi stack tag rm 'mesh-release:gate:${req.service}' --stack ${stack}`);
        }
        const decided = decideGate(read.record, { decision: req.decision, by: req.by, kind: req.kind, ...(req.step !== undefined ? { step: req.step } : {}), ...(req.reason !== undefined ? { reason: req.reason } : {}) }, clock.now(), where);
        if (decided.kind === "refuse") {
            return finish(ExitCode.Usage, `${decided.reason}; nothing was decided`, decided.hint);
        }
        await backend.writeRecord(req.service, JSON.stringify(decided.record));
        await clock.sleep(deps.settleMs ?? 1000);
        const back = parseGateRecord(await backend.readRecord(req.service)).record;
        if (back === undefined || back.id !== decided.record.id || back.status !== decided.record.status || back.decidedAt !== decided.record.decidedAt) {
            return finish(
                ExitCode.Infrastructure,
                `stack ${stack}, service ${req.service}: the decision did not stand: the gate record now says ${back === undefined ? "nothing" : `${back.status}${back.decidedBy !== undefined ? ` by ${back.decidedBy}` : ""}`} (the waiting release decided at the same moment, e.g. its timeout)`,
                `see mesh-release status --stack ${stack} --service ${req.service}`,
            );
        }
        const verb = req.decision === "approve" ? "approved" : "rejected";
        const next = req.decision === "approve" ? "the waiting release applies exactly this plan (pulumi up --plan) at its next read, or stops if the stack changed since its preview" : "the waiting release rolls back at its next read";
        return finish(ExitCode.Ok, [`${verb} by ${req.by} (${req.kind}): ${next}`, ...describeGate(decided.record)].join("\n"));
    } catch (err) {
        return finish(ExitCode.Infrastructure, `stack ${stack}, service ${req.service}: cannot ${req.decision}: ${errorMessage(err)}`);
    }
}
