/**
 * A parsed request -> the release library (runRollout, the gate decision, or the one-shot commands of
 * orchestration/oneShot.ts) with the reporters attached -> an exit code (core/errors.ts ExitCode). Every line
 * written goes through one {@link Redactor} that learns the stack's secret values (from the driver's read) and the
 * Prometheus credentials (from the resolved policy).
 */
import * as os from "node:os";
import type { TrafficDriver } from "../driver/driver";
import { Redactor } from "../../contract/redact";
import { ExitCode, ReleaseError } from "../core/errors";
import { readStackFiles, resolveTarget, type Target } from "../env/target";
import type { ReleaseEvent } from "../core/events";
import { reportSink } from "../report/collect";
import { writeReportFiles } from "../report/file";
import { JsonReporter } from "../reporters/json";
import { renderSummary } from "../reporters/summary";
import { TerminalReporter } from "../reporters/terminal";
import type { CliEvent, CliSink } from "../reporters/types";
import { runRollout } from "../rollout";
import { runImport } from "../../importer/command";
import { runGateDecision } from "../orchestration/approve";
import { approverKind, approverName } from "../core/gate";
import { runAbTest, runFault, runStatus, type OneShotDeps } from "../orchestration/oneShot";
import { executeEnv } from "./env";
import type { CliIO, CliRequest } from "./types";

/** A driver that hands the secrets it reads to `redactor` (the CLI's own second line of defence). */
export function observeSecrets(driver: TrafficDriver, redactor: Redactor): TrafficDriver {
    return {
        stackName: driver.stackName,
        read: async () => {
            const snapshot = await driver.read();
            redactor.add(...snapshot.secrets);
            return snapshot;
        },
        write: (edits) => driver.write(edits),
        update: (opts) => driver.update(opts),
        cancel: () => driver.cancel(),
        lock: (holder) => driver.lock(holder),
        ...(driver.gates !== undefined ? { gates: driver.gates } : {}),
    };
}

/** The service a request is about. */
function serviceOf(request: CliRequest): string | undefined {
    switch (request.command) {
        case "canary":
        case "promote":
        case "rollback":
        case "abort":
            return request.rollout.service;
        case "ab-test":
            return request.abTest.service;
        case "fault":
            return request.fault.service;
        case "status":
            return request.status.service;
        case "approve":
        case "reject":
            return request.gate.service;
        case "env":
        case "import":
            return undefined;
        default: {
            const never: never = request;
            return never;
        }
    }
}

function isReleaseEvent(e: CliEvent): e is ReleaseEvent {
    return e.type !== "command-finished" && e.type !== "status";
}

/** Runs a parsed request to its exit code. Never throws. */
export async function execute(request: CliRequest, io: CliIO): Promise<ExitCode> {
    if (request.command === "env") {
        return executeEnv(request.common, request.env, io);
    }
    if (request.command === "import") {
        return runImport(request.import, io);
    }
    const { common } = request;
    const redactor = new Redactor();
    const err = (text: string): void => io.stderr(redactor.redact(text));
    const reporter = common.json
        ? new JsonReporter(io.stdout, redactor)
        : new TerminalReporter({ write: io.stdout, tty: io.tty, color: io.env["NO_COLOR"] === undefined, now: io.now, redactor, tickMs: io.tickMs });
    const collector = reportSink();
    const emit: CliSink = (e) => {
        reporter.handle(e);
        if (isReleaseEvent(e)) {
            collector.sink(e);
        }
    };
    try {
        let target: Target;
        try {
            target = resolveTarget({ stack: common.stack, env: common.env, service: serviceOf(request) }, (io.listStacks ?? readStackFiles)(common.workDir));
        } catch (e) {
            if (e instanceof ReleaseError) {
                err(`mesh-release: ${e.message}\n${e.hint !== undefined ? `  fix: ${e.hint}\n` : ""}`);
                return e.exitCode;
            }
            throw e;
        }
        if (target.note !== undefined) {
            (common.json ? err : io.stdout)(`mesh-release: ${target.note}\n`);
        }
        const conn = io.connect(common, target, { onOutput: common.verbose ? (text) => err(text) : undefined, onNotice: (text) => err(`mesh-release: ${text}\n`) });
        const deps: OneShotDeps = {
            driver: observeSecrets(conn.driver, redactor),
            metrics: (policy, r) => {
                redactor.add(policy.prometheus.bearerToken, policy.prometheus.basicAuth?.password);
                return conn.metrics(policy, r);
            },
            emit,
            clock: conn.clock,
            signal: io.signal,
            validate: conn.validate,
            ...(conn.live !== undefined ? { live: conn.live } : {}),
        };
        switch (request.command) {
            case "approve":
            case "reject": {
                const g = request.gate;
                const result = await runGateDecision(
                    { decision: request.command, service: g.service, by: approverName(g.by, io.env, os.hostname()), kind: approverKind(io.env), ...(g.step !== undefined ? { step: g.step } : {}), ...(g.reason !== undefined ? { reason: g.reason } : {}) },
                    { driver: deps.driver, emit, ...(conn.clock !== undefined ? { clock: conn.clock } : {}) },
                );
                if (common.report !== undefined) {
                    err(`mesh-release: --report applies to rollout commands (canary, promote, rollback, abort); nothing written\n`);
                }
                return result.exitCode;
            }
            case "canary":
            case "promote":
            case "rollback":
            case "abort": {
                const result = await runRollout(request.rollout, { ...deps, ...(request.gatePollMs !== undefined ? { gatePollMs: request.gatePollMs } : {}) });
                if (reporter instanceof TerminalReporter) {
                    reporter.close();
                }
                const report = collector.report();
                let reportPath: string | undefined;
                if (common.report !== undefined) {
                    if (report !== undefined && report.startedAt !== "") {
                        reportPath = writeReportFiles(report, common.report).html;
                    } else {
                        err(`mesh-release: no rollout ran; no report written to ${common.report}\n`);
                    }
                }
                if (common.json) {
                    if (result.hint !== undefined) {
                        err(`mesh-release: hint: ${result.hint}\n`);
                    }
                    if (reportPath !== undefined) {
                        err(`mesh-release: report: ${reportPath}\n`);
                    }
                } else {
                    io.stdout(redactor.redact(`\n${renderSummary({ report, result, ...(reportPath !== undefined ? { reportPath } : {}) })}`));
                }
                return result.exitCode;
            }
            case "ab-test":
            case "fault":
            case "status": {
                const result =
                    request.command === "ab-test" ? await runAbTest(request.abTest, deps) : request.command === "fault" ? await runFault(request.fault, deps) : await runStatus(request.status, deps);
                if (common.report !== undefined) {
                    err(`mesh-release: --report applies to rollout commands (canary, promote, rollback, abort); nothing written\n`);
                }
                return result.exitCode;
            }
            default: {
                const never: never = request;
                return never;
            }
        }
    } catch (e) {
        // Only the CLI's own I/O can get here (the library never throws): e.g. the report file. With its causes,
        // redacted as one text (a secret split between the message and a cause is masked on both sides).
        err(`mesh-release: ${redactor.describeError(e)}\n`);
        return ExitCode.Infrastructure;
    } finally {
        if (reporter instanceof TerminalReporter) {
            reporter.close();
        }
    }
}
