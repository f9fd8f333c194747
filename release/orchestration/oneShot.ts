/**
 * The one-shot release commands of the library: `ab-test` ({@link runAbTest}) and `fault` ({@link runFault}),
 * each one validated config change + one `pulumi up` with retries (updater.ts) under the release lock, and
 * `status` ({@link runStatus}), a read plus one analysis against the thresholds. Like runRollout they take the
 * driver and metrics as dependencies and never throw: the result carries the exit code (release/core/errors.ts).
 * The CLI (release/cli/program.ts) parses flags into these requests and renders their events.
 */
import { assessAnalysis } from "../core/analysis";
import { systemClock, type Clock } from "../core/clock";
import type { ConfigEdit } from "../driver/driver";
import { abTestEdits, applyEdits, clearFaultEdits, faultEdits, flagProblems, liveRouteKindOf, protocolOf, tcpRefusal, type AbFlag, type FaultSpec } from "../core/edits";
import { valueAt } from "../../contract/paths";
import { Redactor } from "../../contract/redact";
import { ExitCode, ReleaseError, configError, errorMessage, type ConfigProblem } from "../core/errors";
import { liveSplitOf, otherKindNote } from "../core/live";
import { stateInconsistency } from "../core/machine";
import type { ReleaseEvent } from "../core/events";
import { measure } from "../metrics/istio";
import { flagRefusal, stackPreflight, type PolicyOverrides, type ReleasePolicy, type ServiceContext } from "../core/policy";
import type { CliSink, OneShotCommand, ServiceStatus } from "../reporters/types";
import { toReleaseError, type ReleaseDeps } from "../rollout";
import { writeAndUpdate, type PartialEvent } from "./updater";

export interface AbTestRequest {
    service: string;
    flag: AbFlag;
    /** Canary share of the requests without the flag, percent. */
    split: number;
    overrides?: PolicyOverrides;
}

export interface FaultRequest {
    service: string;
    /** `clear` removes every fault of the service. */
    fault: FaultSpec | "clear";
    overrides?: PolicyOverrides;
}

export interface StatusRequest {
    service: string;
    /** Query Prometheus for the current metrics. Default true. */
    metrics: boolean;
    overrides?: PolicyOverrides;
}

/** How `fault --header NAME=VALUE`'s two parts are named in a message. */
export const HEADER_FLAG = { name: "--header name", value: "--header value" } as const;

// ---------------------------------------------------------------------------------------------
// The one-shot commands.

/** The library's dependencies for the one-shot commands: like ReleaseDeps, with a sink for their result lines. */
export type OneShotDeps = Omit<ReleaseDeps, "emit"> & { emit: CliSink };

export interface OneShotResult {
    ok: boolean;
    exitCode: ExitCode;
    message: string;
    hint?: string;
}

interface OneShot {
    command: OneShotCommand;
    service: string;
    overrides?: PolicyOverrides;
    /** Takes the release lock (every command that writes). */
    writes: boolean;
}

interface OneShotContext {
    config: Record<string, unknown>;
    ctx: ServiceContext;
    policy: ReleasePolicy;
    redactor: Redactor;
    emit: (e: PartialEvent) => void;
    clock: Clock;
}

/** Lock, read, resolve the service and the policy, run `body`, and emit `command-finished`. Never throws. */
async function oneShot(spec: OneShot, deps: OneShotDeps, body: (c: OneShotContext) => Promise<string>): Promise<OneShotResult> {
    const redactor = new Redactor();
    const stack = deps.driver.stackName;
    const clock = deps.clock ?? systemClock;
    const emit = (e: PartialEvent): void => {
        try {
            deps.emit(redactor.redactValue({ ...e, at: clock.now().toISOString(), stack, service: spec.service } as ReleaseEvent));
        } catch {
            // a reporter must not stop a command
        }
    };
    let unlock: (() => Promise<void>) | undefined;
    let result: OneShotResult;
    try {
        // The flags first: a mistake in one is a usage error even when the stack cannot be reached.
        const flagProblems = await flagRefusal({ service: spec.service, overrides: spec.overrides }, () => deps.driver.read(), stack);
        if (flagProblems.length > 0) {
            throw configError(`stack ${stack}, service ${spec.service}: cannot run ${spec.command}`, flagProblems);
        }
        if (spec.writes) {
            unlock = await deps.driver.lock(deps.holder ?? `mesh-release ${spec.command} ${spec.service} (pid ${process.pid})`);
        }
        const snapshot = await deps.driver.read();
        redactor.add(...snapshot.secrets);
        const { problems, ctx, policy } = stackPreflight(stack, snapshot, spec.service, spec.overrides);
        if (problems.length > 0 || ctx === undefined || policy === undefined) {
            throw configError(`stack ${stack}, service ${spec.service}: cannot run ${spec.command}`, problems);
        }
        redactor.add(policy.prometheus.bearerToken, policy.prometheus.basicAuth?.password);
        const message = await body({ config: snapshot.config, ctx, policy, redactor, emit, clock });
        result = { ok: true, exitCode: ExitCode.Ok, message: redactor.redact(message) };
    } catch (err) {
        const e = toReleaseError(err);
        result = { ok: false, exitCode: e.exitCode, message: redactor.redact(e.message), ...(e.hint !== undefined ? { hint: redactor.redact(e.hint) } : {}) };
    } finally {
        await unlock?.().catch(() => undefined);
    }
    try {
        deps.emit({ type: "command-finished", at: clock.now().toISOString(), stack, service: spec.service, command: spec.command, ...result });
    } catch {
        // a reporter must not stop a command
    }
    return result;
}

/** One config change + one update with retries; throws a ReleaseError when it is not applied. */
async function change(c: OneShotContext, deps: OneShotDeps, what: { purpose: "ab-test" | "fault"; weight: number; edits: ConfigEdit[]; message: string; service: string }): Promise<void> {
    const validate = (edits: readonly ConfigEdit[]): void => {
        const problems = deps.validate?.(applyEdits(c.config, edits)) ?? [];
        if (problems.length > 0) {
            throw configError(`stack ${deps.driver.stackName}: the config this command would write is invalid`, problems);
        }
    };
    const outcome = await writeAndUpdate(
        { driver: deps.driver, clock: c.clock, emit: c.emit, validate, retries: c.policy.update.retries, backoffMs: c.policy.update.backoffMs, signal: deps.signal, cancelGraceMs: deps.cancelGraceMs },
        // one update and done: the lease is taken and released by the same update
        { purpose: what.purpose, weight: what.weight, edits: what.edits, message: what.message, cancellable: true, final: true },
    );
    switch (outcome.kind) {
        case "ok":
            return;
        case "failed":
        case "cancelled":
            throw new ReleaseError({
                code: outcome.kind === "failed" ? "UPDATE_FAILED" : "CANCELLED",
                message: `the stack config holds the change but the update ${outcome.kind === "failed" ? `failed: ${outcome.message}` : "was cancelled"}`,
                hint: `run the same command again to apply it (or undo it: mesh-release fault clear / rollback --service ${what.service})`,
                exitCode: ExitCode.Infrastructure,
            });
        default: {
            const never: never = outcome;
            return never;
        }
    }
}

function inFlight(ctx: ServiceContext): boolean {
    const p = ctx.state?.phase;
    return p === "Progressing" || p === "Promoting" || p === "RollingBack";
}

/** `ab-test`: the flag routes to the canary, the rest splits `split`% to the canary. */
export function runAbTest(req: AbTestRequest, deps: OneShotDeps): Promise<OneShotResult> {
    return oneShot({ command: "ab-test", service: req.service, overrides: req.overrides, writes: true }, deps, async (c) => {
        const problems: ConfigProblem[] = [];
        const svc = req.service;
        const tcp = tcpRefusal(c.config, svc, "ab-test");
        if (tcp.length > 0) {
            throw configError(`stack ${deps.driver.stackName}, service ${svc}: cannot start the A/B test`, tcp);
        }
        if (c.ctx.canaryVersion === undefined) {
            problems.push({
                propertyPath: `services.${svc}.canary.version`,
                reason: `services.${svc}.canary.version is not set; an A/B test routes the flag to the canary: set it first (pulumi config set --path services.${svc}.canary.version v2)`,
            });
        }
        problems.push(...flagProblems(req.flag, { name: "--flag", value: "--value" }));
        if (problems.length > 0) {
            throw configError(`stack ${deps.driver.stackName}, service ${svc}: cannot start the A/B test`, problems);
        }
        if (inFlight(c.ctx)) {
            throw new ReleaseError({
                code: "ROLLOUT_CONFLICT",
                message: `stack ${deps.driver.stackName}, service ${svc}: a rollout of ${c.ctx.state?.version ?? "?"} is ${c.ctx.state?.phase ?? "?"}; an A/B test would change its canary weight`,
                hint: `finish it first (mesh-release canary --version ${c.ctx.state?.version ?? "<version>"}) or mesh-release abort --service ${svc}`,
                exitCode: ExitCode.Usage,
            });
        }
        const kind = req.flag.cookie ? "cookie" : "header";
        await change(c, deps, {
            purpose: "ab-test",
            weight: req.split,
            edits: abTestEdits(svc, req.flag, req.split),
            message: `mesh-release: ab-test ${svc} ${kind} ${req.flag.name}=${req.flag.value}, rest ${req.split}% canary`,
            service: svc,
        });
        return `requests with ${kind} ${req.flag.name}=${req.flag.value} go to ${c.ctx.canaryVersion ?? "the canary"}; the rest split ${req.split}% to the canary, ${100 - req.split}% to ${c.ctx.stableVersion}`;
    });
}

/** `fault delay|abort PCT` and `fault clear`. */
export function runFault(req: FaultRequest, deps: OneShotDeps): Promise<OneShotResult> {
    const command: OneShotCommand = req.fault === "clear" ? "fault-clear" : "fault";
    return oneShot({ command, service: req.service, overrides: req.overrides, writes: true }, deps, async (c) => {
        const svc = req.service;
        const f = req.fault;
        if (f === "clear") {
            if (valueAt(c.config, ["services", svc, "faults"]) === undefined) {
                return `${svc} has no faults; nothing to clear`;
            }
            await change(c, deps, { purpose: "fault", weight: c.ctx.weight, edits: clearFaultEdits(svc), message: `mesh-release: fault clear ${svc}`, service: svc });
            return `faults of ${svc} removed`;
        }
        const tcp = tcpRefusal(c.config, svc, "fault");
        if (tcp.length > 0) {
            throw configError(`stack ${deps.driver.stackName}, service ${svc}: cannot inject the fault`, tcp);
        }
        const headerProblems = f.header !== undefined ? flagProblems({ ...f.header, cookie: false }, HEADER_FLAG) : [];
        if (headerProblems.length > 0) {
            throw configError(`stack ${deps.driver.stackName}, service ${svc}: cannot inject the fault`, headerProblems);
        }
        const what = f.kind === "delay" ? `${f.percentage}% of requests delayed by ${f.fixedDelay}` : `${f.percentage}% of requests aborted with HTTP ${f.httpStatus}`;
        const scope = f.header !== undefined ? ` (only requests with ${f.header.name}: ${f.header.value})` : "";
        await change(c, deps, { purpose: "fault", weight: c.ctx.weight, edits: faultEdits(svc, f), message: `mesh-release: fault ${f.kind} ${svc} ${f.percentage}%`, service: svc });
        return `${svc}: ${what}${scope}`;
    });
}

/** `status`: what the stack config says, the recorded rollout, and (unless disabled) the metrics now. */
export function runStatus(req: StatusRequest, deps: OneShotDeps): Promise<OneShotResult> {
    return oneShot({ command: "status", service: req.service, overrides: req.overrides, writes: false }, deps, async (c) => {
        const svc = req.service;
        const raw = (p: string[]): unknown => valueAt(c.config, ["services", svc, ...p]);
        const abTest = raw(["abTest"]);
        const faults = raw(["faults"]);
        const status: ServiceStatus = {
            namespace: c.ctx.namespace,
            stableVersion: c.ctx.stableVersion,
            canaryVersion: c.ctx.canaryVersion ?? null,
            weight: c.ctx.weight,
            routed: c.ctx.routed,
            abTest: abTest !== null && typeof abTest === "object" ? (abTest as ServiceStatus["abTest"]) : null,
            faults: faults !== null && typeof faults === "object" ? (faults as Record<string, unknown>) : null,
            state: c.ctx.state ?? null,
            analysis: null,
        };
        let metricsDown: string | undefined;
        const read = deps.live?.read;
        if (read !== undefined) {
            try {
                const objects = await read(c.ctx.namespace);
                const kind = liveRouteKindOf(c.config, svc);
                const split = liveSplitOf(objects, c.ctx.namespace, svc, { canary: c.ctx.canaryVersion, protocol: protocolOf(c.config, svc), kind });
                const other = split === undefined ? otherKindNote(objects, c.ctx.namespace, svc, kind) : undefined;
                status.live = split ?? { error: `no ${kind} for ${svc} in namespace ${c.ctx.namespace}${other === undefined ? "" : `: ${other}`}` };
            } catch (err) {
                status.live = { error: errorMessage(err) };
            }
        }
        if (req.metrics && c.ctx.canaryVersion !== undefined) {
            const metrics = deps.metrics(c.policy, c.redactor);
            const windowMs = c.policy.intervalMs;
            const m = await measure(
                metrics,
                {
                    reporter: c.policy.reporter,
                    service: svc,
                    namespace: c.ctx.namespace,
                    canaryVersion: c.ctx.canaryVersion,
                    stableVersion: c.ctx.stableVersion,
                    windowMs,
                    includeStable: true,
                    custom: c.policy.customQueries,
                },
                deps.signal,
            );
            const judged = assessAnalysis(m, c.policy.thresholds, c.ctx.routed ? c.ctx.weight : 0);
            status.analysis = { windowMs, verdict: judged.verdict, reason: judged.reason, metrics: judged.metrics };
            // The standard queries failing is Prometheus (or the way to it) failing, not a verdict: the status is
            // printed all the same, and the command ends as an infrastructure error (exit 3), saying so.
            const failed = [m.canaryRequests, m.canarySuccessRate, m.canaryLatencyP95].find((q): q is { error: string } => "error" in q);
            if (failed !== undefined) {
                metricsDown = failed.error;
            }
        }
        const problem = c.ctx.state !== undefined ? stateInconsistency(c.ctx.state, c.policy.machine) : undefined;
        if (problem !== undefined) {
            status.stateProblem = { problem, fix: `mesh-release rollback --stack ${deps.driver.stackName} --service ${svc} repairs it (all traffic to stable, the step index back inside the steps)` };
        }
        deps.emit(c.redactor.redactValue({ type: "status", at: c.clock.now().toISOString(), stack: deps.driver.stackName, service: svc, status }));
        if (metricsDown !== undefined) {
            throw new ReleaseError({
                code: "METRICS_UNAVAILABLE",
                message: `${svc}: the status above has no metrics: Prometheus at ${c.policy.prometheus.url} could not be queried: ${metricsDown}`,
                hint: "check that Prometheus is up and reachable at release.prometheus.url (or --prometheus-url); --no-metrics shows the status without it",
                exitCode: ExitCode.Infrastructure,
            });
        }
        const st = c.ctx.state;
        if (st === undefined) {
            return `${svc}: no rollout recorded`;
        }
        return status.stateProblem !== undefined ? `${svc}: ${st.version} ${st.phase}, recorded state inconsistent (${status.stateProblem.problem}); fix: ${status.stateProblem.fix}` : `${svc}: ${st.version} ${st.phase}`;
    });
}

