/**
 * The `mesh-release` command line, minus the process edges (bin/mesh-release.ts wires the Pulumi driver,
 * Prometheus, stdout and the signals). Three testable parts:
 *
 * - {@link parseArgs}: argv -> a typed {@link CliRequest} (commander; a usage error is exit 2, never a
 *   half-parsed request). Every option's value is checked here, before anything touches a stack, and every
 *   problem is named at once with the option, the value, the rule and the fix: the values commander converts
 *   (durations, percentages, counts) in their parsers, the rest in {@link usageProblems} (the policy's own
 *   flags through release/core/policy.ts `requestProblems`, header/cookie flags through release/core/edits.ts
 *   `flagProblems`, the paths through {@link ParseEnv.pathKind}). Flag values the policy owns (`--steps`,
 *   `--interval`, thresholds) stay strings in the request: release/core/policy.ts resolves them with the stack config.
 * - {@link execute}: a request -> the release library (runRollout, or the one-shot commands below) with the
 *   reporters attached -> an exit code (release/core/errors.ts ExitCode).
 * - The one-shot commands `ab-test`, `fault` and `status` live in release/orchestration/oneShot.ts (library API).
 *
 * Secrets: every line written goes through one {@link Redactor} that learns the stack's secret values
 * (from the driver's read) and the Prometheus credentials (from the resolved policy).
 */
import * as os from "node:os";
import * as path from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { type Clock } from "../core/clock";
import { durationMs } from "../../components/validation";
import type { TrafficDriver } from "../driver/driver";
import { Redactor } from "../../contract/redact";
import { ExitCode, ReleaseError, errorMessage } from "../core/errors";
import { pathKindOnDisk, readStackFiles, resolveTarget, type PathKind, type StackFile, type Target } from "../env/target";
import { ENV_OPS, planEnv, type DeployedStack, type EnvOp, type EnvPlan } from "../env/plan";
import { progressLine, renderFanoutSummary } from "../env/render";
import { runFanout, type EnvDriver } from "../env/run";
import type { ConfigProblem } from "../core/errors";
import type { ReleaseEvent } from "../core/events";
import { requestProblems, type PolicyOverrides } from "../core/policy";
import { flagProblems } from "../core/edits";
import { reportSink } from "../report/collect";
import { reportJsonPath, writeReportFiles } from "../report/file";
import { JsonReporter } from "../reporters/json";
import { renderSummary } from "../reporters/summary";
import { TerminalReporter } from "../reporters/terminal";
import type { CliEvent, CliSink, Write } from "../reporters/types";
import { runRollout, type ConfigValidator, type ReleaseDeps, type RolloutRequest } from "../rollout";
import { PROGRAM_CHOICES, type ProgramChoice } from "../driver/program";
import { IMPORT_HELP, IMPORT_LAYOUTS, importOptionProblems, runImport, type ImportLayout, type ImportRequest } from "../../importer/command";
import { runGateDecision } from "../orchestration/approve";
import { approverKind, approverName } from "../core/gate";
import { HEADER_FLAG, runAbTest, runFault, runStatus, type AbTestRequest, type OneShotDeps, type FaultRequest, type StatusRequest } from "../orchestration/oneShot";

export type { AbTestRequest, FaultRequest, StatusRequest } from "../orchestration/oneShot";

// ---------------------------------------------------------------------------------------------
// Requests.

/** Flags every command takes. */
export interface CommonOptions {
    /** `--stack`: an explicit stack (never given with `--env`: the two are refused together while parsing). */
    stack?: string;
    /** `--env`: the environment; the service's stack is `<env>.<service>` (or `<env>` in the single-stack layout). */
    env?: string;
    /** Absolute Pulumi project directory (`--cwd` / `--work-dir`, default the current directory). */
    workDir: string;
    json: boolean;
    /** `--report <file>`: where the HTML report goes (absolute). */
    report?: string;
    /** Directory holding `bin/pulumi`: `--pulumi-root`, else $MESH_TOOLCHAIN_DIR, else undefined (PATH). */
    pulumiRoot?: string;
    /** Stream Pulumi's engine output to stderr. */
    verbose: boolean;
    /** Which program each update runs (release/driver/program.ts). Default "auto". */
    program: ProgramChoice;
}

export type CliRequest =
    | { command: "canary" | "promote" | "rollback" | "abort"; common: CommonOptions; rollout: RolloutRequest; /** `--gate-poll`: how often a gate's record is read, ms. */ gatePollMs?: number }
    | { command: "approve" | "reject"; common: CommonOptions; gate: GateRequest }
    | { command: "ab-test"; common: CommonOptions; abTest: AbTestRequest }
    | { command: "fault"; common: CommonOptions; fault: FaultRequest }
    | { command: "status"; common: CommonOptions; status: StatusRequest }
    | { command: "env"; common: CommonOptions; env: EnvRequest }
    | { command: "import"; import: ImportRequest };

/** `mesh-release approve|reject --service <svc> [--step N] [--by NAME] [--reason TEXT]`: the decision on a pending approval gate (release/orchestration/approve.ts). */
export interface GateRequest {
    service: string;
    /** The gated step's weight, percent. */
    step?: number;
    by?: string;
    reason?: string;
}

/** `mesh-release env up|preview|status --env <env> [--concurrency N]`: the environment fan-out (release/env/). */
export interface EnvRequest {
    op: EnvOp;
    env: string;
    /** Service stacks run at most this many at a time. */
    concurrency: number;
}

export type ParseResult = { kind: "request"; request: CliRequest } | { kind: "exit"; exitCode: ExitCode };

// ---------------------------------------------------------------------------------------------
// Parsing.

/**
 * A percentage. `positive`: 0 is refused too (a fault on 0 % of the requests does nothing; a typo, not a
 * request). The fix is in the message: the range and an example.
 */
function percentArg(flag: string, opts: { int: boolean; positive: boolean; example: string }): (text: string) => number {
    return (text) => {
        const n = Number(text);
        if (text.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100 || (opts.positive && n === 0) || (opts.int && !Number.isInteger(n))) {
            const range = opts.positive ? "greater than 0 and at most 100" : "from 0 to 100";
            throw new InvalidArgumentError(`${flag} is ${JSON.stringify(text)}; it must be ${opts.int ? "an integer" : "a number"} ${range} (percent), such as ${opts.example}`);
        }
        return n;
    };
}

/** A Go duration greater than zero (a zero delay injects nothing). */
function durationArg(flag: string): (text: string) => string {
    return (text) => {
        const ms = durationMs(text);
        if (ms === undefined || ms <= 0) {
            throw new InvalidArgumentError(`${flag} is ${JSON.stringify(text)}; it must be a Go-style duration greater than zero, such as 500ms, 5s or 1m30s`);
        }
        return text;
    };
}

function intArg(flag: string, min: number, max: number): (text: string) => number {
    return (text) => {
        const n = Number(text);
        if (!/^\d+$/.test(text) || n < min || n > max) {
            throw new InvalidArgumentError(`${flag} is ${JSON.stringify(text)}; it must be an integer from ${min} to ${max}`);
        }
        return n;
    };
}

function httpStatusArg(text: string): number {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 200 || n > 599) {
        throw new InvalidArgumentError(`--status is ${JSON.stringify(text)}; it must be an HTTP status from 200 to 599, such as 503`);
    }
    return n;
}

/** `--header NAME=VALUE`: the name lower-cased (header names are case-insensitive; Istio matches lower-case ones). */
function headerArg(text: string): { name: string; value: string } {
    const eq = text.indexOf("=");
    if (eq <= 0) {
        throw new InvalidArgumentError(`--header is ${JSON.stringify(text)}; write NAME=VALUE, e.g. x-chaos=on`);
    }
    const header = { name: text.slice(0, eq).toLowerCase(), value: text.slice(eq + 1) };
    const problems = flagProblems({ ...header, cookie: false }, HEADER_FLAG);
    if (problems.length > 0) {
        throw new InvalidArgumentError(`--header is ${JSON.stringify(text)}: ${problems.map((p) => p.reason).join("; ")}`);
    }
    return header;
}

/** What `--report` writes, in the help: the JSON's name as report/file.ts derives it. */
const REPORT_EXAMPLE = `--report out.html writes out.html and ${reportJsonPath("out.html")}`;

/** A Pulumi stack name: `dev`, `production.checkout`, or qualified `org/project/dev`. */
const STACK_NAME = /^(?:[A-Za-z0-9_.-]+\/){0,2}[A-Za-z0-9_.-]+$/;
/** An environment: the first part of its stacks' names (`<env>`, `<env>.<service>`). */
const ENV_NAME = /^[A-Za-z0-9_-]+$/;

interface RawCommon {
    stack?: string;
    env?: string;
    cwd?: string;
    workDir?: string;
    json?: boolean;
    report?: string;
    pulumiRoot?: string;
    verbose?: boolean;
    /** commander checked it against PROGRAM_CHOICES and defaults it */
    program: ProgramChoice;
}

interface RawPolicy {
    steps?: string;
    interval?: string;
    successRate?: string;
    maxP95?: string;
    minRequests?: string;
    prometheusUrl?: string;
}

function withCommon(cmd: Command): Command {
    return cmd
        .option("--env <name>", "environment, e.g. production: the service's stack is <env>.<service>, or <env> in the single-stack layout")
        .option("--stack <name>", "Pulumi stack, e.g. dev or production.checkout (instead of --env, not with it)")
        .option("--cwd <dir>", "Pulumi project directory (default: the current directory)")
        .option("--work-dir <dir>", "same as --cwd")
        .option("--json", "one JSON event per line on stdout (for pipelines); nothing else on stdout")
        .option("--report <file>", `write the rollout report: the HTML page (with an SVG chart) to <file>, its JSON beside it (${REPORT_EXAMPLE})`)
        .option("--pulumi-root <dir>", "directory holding bin/pulumi (default: $MESH_TOOLCHAIN_DIR, else pulumi on PATH)")
        .option("--verbose", "stream Pulumi's engine output to stderr")
        .addOption(
            new Option("--program <kind>", "what each update runs: auto (this package's program inline when the project runs it, else the project's own), local, inline")
                .choices([...PROGRAM_CHOICES])
                .default("auto"),
        );
}

function withPolicy(cmd: Command, rollout: boolean): Command {
    if (rollout) {
        cmd.option("--steps <list>", "canary weights in percent, ascending, e.g. 10,25,50,75,100 (default: release.steps)").option(
            "--interval <duration>",
            "analysis window and wait per step, e.g. 60s (default: release.interval)",
        );
    }
    return cmd
        .option("--success-rate <percent>", "minimum canary success rate (default: release.analysis.successRate, 95)")
        .option("--max-p95 <ms>", "maximum canary p95 latency in ms (default: release.analysis.latencyP95Ms, 1000)")
        .option("--min-requests <n>", "fewer canary requests in the window is Inconclusive (default: release.analysis.minRequests, 10)")
        .option("--prometheus-url <url>", "Prometheus base URL (default: release.prometheus.url)");
}

function overridesOf(o: RawPolicy): PolicyOverrides | undefined {
    const out: PolicyOverrides = {};
    if (o.steps !== undefined) out.steps = o.steps;
    if (o.interval !== undefined) out.interval = o.interval;
    if (o.successRate !== undefined) out.successRate = o.successRate;
    if (o.maxP95 !== undefined) out.latencyP95Ms = o.maxP95;
    if (o.minRequests !== undefined) out.minRequests = o.minRequests;
    if (o.prometheusUrl !== undefined) out.prometheusUrl = o.prometheusUrl;
    return Object.keys(out).length > 0 ? out : undefined;
}

/** Where parseArgs reads defaults from. */
export interface ParseEnv {
    cwd: string;
    env: Readonly<Record<string, string | undefined>>;
    /** Help text and commander's usage errors. */
    stdout: Write;
    stderr: Write;
    /** What a path given as an option names (`--cwd`, `--pulumi-root`, `--report`). Default: the disk (release/env/target.ts). */
    pathKind?: (absolutePath: string) => PathKind;
}

/**
 * The problems of the options every command takes: `--stack` and `--env` (one of them, never both, each a
 * valid name), `--cwd`/`--work-dir` (an existing directory), the Pulumi CLI root (`--pulumi-root`, else
 * $MESH_TOOLCHAIN_DIR: a directory holding bin/pulumi), `--report` (not a directory). Each names the option,
 * the value, the rule and the fix.
 */
export function commonProblems(o: RawCommon, penv: ParseEnv): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const kind = penv.pathKind ?? pathKindOnDisk;
    if (o.stack !== undefined && o.env !== undefined) {
        problems.push({
            propertyPath: "--stack",
            reason: `--stack ${JSON.stringify(o.stack)} and --env ${JSON.stringify(o.env)} are given together; they are two ways to name the stack: give --env <environment> (with --service: stack <env>.<service>) or --stack <name>, not both`,
        });
    }
    if (o.stack !== undefined && (!STACK_NAME.test(o.stack) || o.stack.length > 200)) {
        problems.push({
            propertyPath: "--stack",
            reason: `--stack is ${JSON.stringify(o.stack)}; a Pulumi stack name is letters, digits, '-', '_' and '.' (optionally org/project/<stack>), such as dev or production.checkout`,
        });
    }
    if (o.env !== undefined && (!ENV_NAME.test(o.env) || o.env.length > 100)) {
        problems.push({
            propertyPath: "--env",
            reason: `--env is ${JSON.stringify(o.env)}; an environment is the first part of its stacks' names: letters, digits, '-' and '_' (no '.' or '/'), such as production`,
        });
    }
    if (o.cwd !== undefined && o.workDir !== undefined && path.resolve(penv.cwd, o.cwd) !== path.resolve(penv.cwd, o.workDir)) {
        problems.push({ propertyPath: "--cwd", reason: `--cwd ${JSON.stringify(o.cwd)} and --work-dir ${JSON.stringify(o.workDir)} disagree; give one of them` });
    }
    for (const [flag, dir] of [
        ["--cwd", o.cwd],
        ["--work-dir", o.workDir],
    ] as const) {
        if (dir === undefined) {
            continue;
        }
        const abs = path.resolve(penv.cwd, dir);
        const k = kind(abs);
        if (k !== "directory") {
            problems.push({
                propertyPath: flag,
                reason: `${flag} is ${JSON.stringify(dir)}; it must be the Pulumi project's directory, and ${abs} ${k === "missing" ? "does not exist" : "is not a directory"}: give the directory holding Pulumi.yaml`,
            });
        }
    }
    const envRoot = penv.env["MESH_TOOLCHAIN_DIR"];
    const [rootFlag, root] = o.pulumiRoot !== undefined ? ["--pulumi-root", o.pulumiRoot] : ["$MESH_TOOLCHAIN_DIR", envRoot !== undefined && envRoot !== "" ? envRoot : undefined];
    if (root !== undefined) {
        const abs = path.resolve(penv.cwd, root);
        const dirKind = kind(abs);
        const bin = path.join(abs, "bin", "pulumi");
        const fix = rootFlag === "--pulumi-root" ? "give the directory whose bin/pulumi is the CLI to use, or leave --pulumi-root out to use pulumi on PATH" : "set it to the directory whose bin/pulumi is the CLI to use, or unset it to use pulumi on PATH";
        if (dirKind !== "directory") {
            problems.push({ propertyPath: rootFlag, reason: `${rootFlag} is ${JSON.stringify(root)}; it must be a directory holding bin/pulumi, and ${abs} ${dirKind === "missing" ? "does not exist" : "is not a directory"}: ${fix}` });
        } else if (kind(bin) !== "file") {
            problems.push({ propertyPath: rootFlag, reason: `${rootFlag} is ${JSON.stringify(root)}; it must be a directory holding bin/pulumi, and ${bin} does not exist: ${fix}` });
        }
    }
    if (o.report !== undefined && kind(path.resolve(penv.cwd, o.report)) === "directory") {
        problems.push({ propertyPath: "--report", reason: `--report is ${JSON.stringify(o.report)}, which is a directory; it must be the HTML file to write, such as ${path.join(o.report, "report.html")}` });
    }
    return problems;
}

/** The commander program; each action stores its request in `out` (nothing runs while parsing). */
export function buildProgram(penv: ParseEnv, out: { request?: CliRequest }): Command {
    const program = new Command("mesh-release")
        .description("Progressive delivery of a service through its Pulumi stack: canary steps judged by Prometheus, promotion, rollback, A/B tests, faults")
        .exitOverride()
        .configureOutput({ writeOut: penv.stdout, writeErr: penv.stderr })
        .showSuggestionAfterError(true)
        .addHelpText(
            "after",
            "\nExit codes: 0 promoted / done, 1 rolled back, 2 usage or config error (nothing applied), 3 infrastructure error.\n" +
                "Example: mesh-release canary --env production --service checkout --version v2 --steps 10,50,100 --interval 30s\n" +
                "         (stack production.checkout; production when that is a single-stack environment holding checkout; --stack names one)",
        );

    /** Any problem of `cmd`'s options is a usage error (exit 2) listing them all; nothing has touched a stack yet. */
    const refuseOptions = (cmd: Command, problems: readonly ConfigProblem[]): void => {
        if (problems.length > 0) {
            const lines = problems.map((p) => `  - ${p.propertyPath}: ${p.reason}`);
            cmd.error(`error: mesh-release ${commandPath(cmd)}: ${problems.length === 1 ? "an option is" : `${problems.length} options are`} invalid (nothing was read or applied):\n${lines.join("\n")}`, {
                exitCode: ExitCode.Usage,
                code: "mesh.usage",
            });
        }
    };

    /** The common options of `cmd`, once every option of the command is checked: `more` are the command's own problems. */
    const common = (cmd: Command, more: readonly ConfigProblem[] = []): CommonOptions => {
        const o = cmd.opts<RawCommon>();
        refuseOptions(cmd, [...commonProblems(o, penv), ...more]);
        if (o.stack === undefined && o.env === undefined) {
            cmd.error("error: give --env <environment> (the service's stack is <env>.<service>) or --stack <name>", { exitCode: ExitCode.Usage, code: "mesh.usage" });
        }
        const envRoot = penv.env["MESH_TOOLCHAIN_DIR"];
        const root = o.pulumiRoot ?? (envRoot !== undefined && envRoot !== "" ? envRoot : undefined);
        return {
            ...(o.stack !== undefined ? { stack: o.stack } : {}),
            ...(o.env !== undefined ? { env: o.env } : {}),
            workDir: path.resolve(penv.cwd, o.cwd ?? o.workDir ?? "."),
            json: o.json === true,
            ...(o.report !== undefined ? { report: path.resolve(penv.cwd, o.report) } : {}),
            ...(root !== undefined ? { pulumiRoot: path.resolve(penv.cwd, root) } : {}),
            verbose: o.verbose === true,
            program: o.program,
        };
    };

    withPolicy(
        withCommon(program.command("canary").description("start or resume a canary rollout: each step = config set + pulumi up + analysis window + verdict")),
        true,
    )
        .requiredOption("--service <name>", "service key under services.<name>")
        .requiredOption("--version <label>", "version label of the canary, e.g. v2")
        .option("--gate-poll <duration>", "how often a release waiting at an approval gate (release.gates) reads the decision, e.g. 5s (default 5s)", durationArg("--gate-poll"))
        .action((_o: unknown, cmd: Command) => {
            const o = cmd.opts<{ service: string; version: string; gatePoll?: string } & RawPolicy>();
            const overrides = overridesOf(o);
            out.request = {
                command: "canary",
                common: common(cmd, requestProblems({ service: o.service, version: o.version, overrides })),
                rollout: { action: "canary", service: o.service, version: o.version, overrides },
                ...(o.gatePoll !== undefined ? { gatePollMs: durationMs(o.gatePoll) } : {}),
            };
        });

    for (const decision of ["approve", "reject"] as const) {
        withCommon(
            program
                .command(decision)
                .description(
                    decision === "approve"
                        ? "approve the update plan a release waits with at an approval gate (release.gates), from any machine sharing the state backend"
                        : "reject the step a release waits at an approval gate: the release rolls back",
                ),
        )
            .requiredOption("--service <name>", "service key under services.<name>")
            .option("--step <weight>", "the gated step's weight in percent (release.gates[].beforeStep): refused when the pending gate is another step's", intArg("--step", 1, 100))
            .option("--by <name>", "who decides, recorded in the release's history and state (default: $USER@host)")
            .option("--reason <text>", decision === "reject" ? "why, recorded with the rejection" : "ignored for approve")
            .action((_o: unknown, cmd: Command) => {
                const o = cmd.opts<{ service: string; step?: number; by?: string; reason?: string }>();
                const byProblems = o.by !== undefined && (o.by.trim() === "" || o.by.length > 200) ? [{ propertyPath: "--by", reason: `--by is ${JSON.stringify(o.by)}; give a name of 1 to 200 characters, such as alice or ci/deploy#812` }] : [];
                out.request = {
                    command: decision,
                    common: common(cmd, [...requestProblems({ service: o.service }), ...byProblems]),
                    gate: { service: o.service, ...(o.step !== undefined ? { step: o.step } : {}), ...(o.by !== undefined ? { by: o.by } : {}), ...(o.reason !== undefined && decision === "reject" ? { reason: o.reason } : {}) },
                };
            });
    }

    withCommon(program.command("promote").description("finish a rollout whose last step passed: the canary becomes stable, in the order Istio needs"))
        .requiredOption("--service <name>", "service key under services.<name>")
        .option("--version <label>", "version to promote (default: the recorded or configured canary)")
        .option("--force", "promote without a passed analysis (recorded in the rollout state)")
        .action((_o: unknown, cmd: Command) => {
            const o = cmd.opts<{ service: string; version?: string; force?: boolean }>();
            out.request = {
                command: "promote",
                common: common(cmd, requestProblems({ service: o.service, ...(o.version !== undefined ? { version: o.version } : {}) })),
                rollout: { action: "promote", service: o.service, ...(o.version !== undefined ? { version: o.version } : {}), ...(o.force === true ? { force: true } : {}) },
            };
        });

    for (const mode of ["rollback", "abort"] as const) {
        withCommon(
            program
                .command(mode)
                .description(mode === "rollback" ? "all traffic to stable at once; the canary stays deployed, unrouted" : "like rollback, recorded as Aborted"),
        )
            .requiredOption("--service <name>", "service key under services.<name>")
            .option("--version <label>", "version to roll back (default: the recorded or configured canary)")
            .action((_o: unknown, cmd: Command) => {
                const o = cmd.opts<{ service: string; version?: string }>();
                out.request = { command: mode, common: common(cmd, requestProblems({ service: o.service, ...(o.version !== undefined ? { version: o.version } : {}) })), rollout: { action: mode, service: o.service, ...(o.version !== undefined ? { version: o.version } : {}) } };
            });
    }

    withCommon(program.command("ab-test").description("requests carrying a header (or cookie) flag go to the canary; the rest split by --split"))
        .requiredOption("--service <name>", "service key under services.<name>")
        .requiredOption("--flag <name>", "flag header name, e.g. x-new-feature (a cookie name with --cookie)")
        .option("--value <value>", "flag value that selects the canary", "enabled")
        .option("--cookie", "the flag is a cookie <flag>=<value> rather than a header")
        .option("--split <percent>", "canary share of the requests without the flag, integer percent", percentArg("--split", { int: true, positive: false, example: "50" }), 50)
        .action((_o: unknown, cmd: Command) => {
            const o = cmd.opts<{ service: string; flag: string; value: string; cookie?: boolean; split: number }>();
            const cookie = o.cookie === true;
            // Header names are case-insensitive (and Istio matches lower-case ones); cookie names are not.
            const flag = { name: cookie ? o.flag : o.flag.toLowerCase(), value: o.value, cookie };
            out.request = {
                command: "ab-test",
                common: common(cmd, [...requestProblems({ service: o.service }), ...flagProblems(flag, { name: "--flag", value: "--value" })]),
                abTest: { service: o.service, flag, split: o.split },
            };
        });

    const fault = program.command("fault").description("fault injection on the service's mesh routes (chaos): delay, abort, clear");
    const faultCmd = (name: "delay" | "abort", description: string): Command =>
        withCommon(fault.command(name).argument("<percent>", "percent of the requests, more than 0, at most 100", percentArg("<percent>", { int: false, positive: true, example: "10" })).description(description))
            .requiredOption("--service <name>", "service key under services.<name>")
            .option("--header <name=value>", "only requests with this header get the fault", headerArg);
    faultCmd("delay", "delay <percent> of the requests by --delay")
        .option("--delay <duration>", "fixed delay, Go duration", durationArg("--delay"), "5s")
        .action((percentage: number, _o: unknown, cmd: Command) => {
            const o = cmd.opts<{ service: string; delay: string; header?: { name: string; value: string } }>();
            out.request = {
                command: "fault",
                common: common(cmd, requestProblems({ service: o.service })),
                fault: { service: o.service, fault: { kind: "delay", percentage, fixedDelay: o.delay, ...(o.header !== undefined ? { header: o.header } : {}) } },
            };
        });
    faultCmd("abort", "abort <percent> of the requests with HTTP --status")
        .option("--status <code>", "HTTP status of the aborted requests", httpStatusArg, 503)
        .action((percentage: number, _o: unknown, cmd: Command) => {
            const o = cmd.opts<{ service: string; status: number; header?: { name: string; value: string } }>();
            out.request = {
                command: "fault",
                common: common(cmd, requestProblems({ service: o.service })),
                fault: { service: o.service, fault: { kind: "abort", percentage, httpStatus: o.status, ...(o.header !== undefined ? { header: o.header } : {}) } },
            };
        });
    withCommon(fault.command("clear").description("remove every fault of the service"))
        .requiredOption("--service <name>", "service key under services.<name>")
        .action((_o: unknown, cmd: Command) => {
            const o = cmd.opts<{ service: string }>();
            out.request = { command: "fault", common: common(cmd, requestProblems({ service: o.service })), fault: { service: o.service, fault: "clear" } };
        });

    withCommon(
        program
            .command("env")
            .argument("<operation>", `what to do with every stack of the environment: ${ENV_OPS.join(", ")}`)
            .description(
                "the whole environment: the platform stack, then its service stacks with bounded concurrency, in make-before-break order " +
                    "(a new service's stack before the root route to it; a removed service's stack destroyed after its root route is gone)",
            ),
    )
        .option("--concurrency <n>", "service stacks at a time, 1 to 64", intArg("--concurrency", 1, 64), 4)
        .action((op: string, _o: unknown, cmd: Command) => {
            const o = cmd.opts<{ concurrency: number; env?: string }>();
            if (!(ENV_OPS as readonly string[]).includes(op)) {
                cmd.error(`error: env operation is ${JSON.stringify(op)}; it must be one of ${ENV_OPS.join(", ")}`, { exitCode: ExitCode.Usage, code: "mesh.usage" });
            }
            if (o.env === undefined) {
                cmd.error("error: env needs --env <environment> (the platform stack's name)", { exitCode: ExitCode.Usage, code: "mesh.usage" });
            }
            out.request = { command: "env", common: common(cmd), env: { op: op as EnvOp, env: o.env ?? "", concurrency: o.concurrency } };
        });

    withPolicy(withCommon(program.command("status").description("the configured weights and the live VirtualService's split, the rollout's phase and step, and the current metrics against their thresholds")), false)
        .requiredOption("--service <name>", "service key under services.<name>")
        .option("--no-metrics", "do not query Prometheus")
        .action((_o: unknown, cmd: Command) => {
            const o = cmd.opts<{ service: string; metrics: boolean } & RawPolicy>();
            const overrides = overridesOf(o);
            out.request = { command: "status", common: common(cmd, requestProblems({ service: o.service, overrides })), status: { service: o.service, metrics: o.metrics, overrides } };
        });

    program
        .command("import")
        .description("existing Istio YAML -> the stack config's routing key: the fragment to paste under config:, or merged into Pulumi.<stack>.yaml with --stack")
        .argument("<files...>", "Istio YAML files (multi-document, kind: List); - reads standard input")
        .option("--stack <name>", "merge into this stack's Pulumi.<name>.yaml (comments and other keys kept) instead of printing the fragment")
        .option("--cwd <dir>", "Pulumi project directory, for --stack (default: the current directory)")
        .option("--work-dir <dir>", "same as --cwd")
        .option("--namespace <ns>", "the stack's namespace; objects of another are refused (default: the stack's namespace with --stack, else the objects' own)")
        .addOption(new Option("--layout <layout>", "layout of the stack the routing is for; per-service: the platform stack (<env>) holds it, never a service stack").choices([...IMPORT_LAYOUTS]))
        .option("--skip-unsupported", "list objects that are not Istio networking (Deployment, Service, ServiceAccount, ...) as skipped instead of refusing them")
        .option("--replace", "with --stack: replace the stack's routing objects of the same kind and name (else refused)")
        .addHelpText("after", IMPORT_HELP)
        .action((files: string[], _o: unknown, cmd: Command) => {
            const o = cmd.opts<{ stack?: string; cwd?: string; workDir?: string; namespace?: string; layout?: ImportLayout; skipUnsupported?: boolean; replace?: boolean }>();
            const kind = penv.pathKind ?? pathKindOnDisk;
            const missing = files.filter((f) => f !== "-" && kind(path.resolve(penv.cwd, f)) !== "file");
            refuseOptions(cmd, [
                ...commonProblems({ stack: o.stack, cwd: o.cwd, workDir: o.workDir, program: "auto" }, penv),
                ...importOptionProblems({ files, ...o }),
                ...missing.map((f) => ({ propertyPath: "<files>", reason: `${f} is not a file (${path.resolve(penv.cwd, f)} ${kind(path.resolve(penv.cwd, f)) === "missing" ? "does not exist" : "is a directory"}); give Istio YAML files, or - for standard input` })),
            ]);
            out.request = {
                command: "import",
                import: {
                    files,
                    cwd: penv.cwd,
                    workDir: path.resolve(penv.cwd, o.cwd ?? o.workDir ?? "."),
                    ...(o.stack !== undefined ? { stack: o.stack } : {}),
                    ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
                    ...(o.layout !== undefined ? { layout: o.layout } : {}),
                    skipUnsupported: o.skipUnsupported === true,
                    replace: o.replace === true,
                },
            };
        });

    return program;
}

/** `canary`, `fault delay`: the command's words, for a message. */
function commandPath(cmd: Command): string {
    const names: string[] = [];
    for (let c: Command | null = cmd; c !== null && c.parent !== null; c = c.parent) {
        names.unshift(c.name());
    }
    return names.join(" ");
}

/**
 * argv (without `node` and the script) -> the request, or the exit code to end with: 0 after `--help`,
 * 2 for every usage error (commander's message is already on stderr).
 */
export function parseArgs(argv: readonly string[], penv: ParseEnv): ParseResult {
    const out: { request?: CliRequest } = {};
    try {
        buildProgram(penv, out).parse([...argv], { from: "user" });
    } catch (err) {
        if (err instanceof CommanderError) {
            if (err.exitCode === 0 || err.code === "commander.helpDisplayed" || err.code === "commander.version") {
                return { kind: "exit", exitCode: ExitCode.Ok };
            }
            return { kind: "exit", exitCode: ExitCode.Usage };
        }
        throw err;
    }
    if (out.request === undefined) {
        return { kind: "exit", exitCode: ExitCode.Usage };
    }
    return { kind: "request", request: out.request };
}

// ---------------------------------------------------------------------------------------------
// Execution.

/** The stack-facing parts the CLI needs; bin/mesh-release.ts builds the Pulumi + Prometheus ones. */
export interface Connection {
    driver: TrafficDriver;
    metrics: ReleaseDeps["metrics"];
    clock?: Clock;
    validate?: ConfigValidator;
    /** The live-split check before each window (release/core/live.ts). */
    live?: ReleaseDeps["live"];
}

/** Builds the connection to the resolved stack (and its platform stack, whose `release` policy it inherits). */
export type Connect = (common: CommonOptions, target: Target, hooks: { onOutput?: (text: string) => void; onNotice?: (text: string) => void }) => Connection;

/** The stacks of an environment on the backend, for `mesh-release env`; bin/mesh-release.ts builds the Automation API one. */
export interface EnvConnection {
    driver: EnvDriver;
    /** Stacks the backend holds (name, resource count). */
    deployed: () => Promise<DeployedStack[]>;
    /** Checks the environment's stacks together before anything is applied (stacks/environment.ts); [] when fine. */
    check?: (env: string, files: readonly StackFile[]) => ConfigProblem[];
}

export type ConnectEnv = (common: CommonOptions, hooks: { onOutput?: (text: string) => void }) => EnvConnection;

/** Lists the project's stacks (release/env/target.ts); tests pass a fixed list. */
export type StackLister = (workDir: string) => readonly StackFile[];

export interface CliIO extends ParseEnv {
    /** stdout is a terminal: live view with ANSI; otherwise plain lines. */
    tty: boolean;
    connect: Connect;
    /** For `mesh-release env`. */
    connectEnv?: ConnectEnv;
    /** The project's stacks, for `--env` resolution. Default: the `Pulumi.<stack>.yaml` files in the work dir. */
    listStacks?: StackLister;
    /** Aborted on SIGINT/SIGTERM: the running update is cancelled and the rollout rolls back. */
    signal?: AbortSignal;
    /** The terminal view's clock (tests pass a fixed one). */
    now?: () => Date;
    /** Redraw period of the live view, ms (0 in tests). */
    tickMs?: number;
    /** Standard input, for `mesh-release import -`. */
    readStdin?: () => Promise<string>;
}

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

/** `mesh-release env`: plan (release/env/plan.ts), check, run (release/env/run.ts), summary table. Never throws. */
async function executeEnv(common: CommonOptions, req: EnvRequest, io: CliIO): Promise<ExitCode> {
    const err = (text: string): void => io.stderr(text);
    const out = (text: string): void => io.stdout(text);
    try {
        if (io.connectEnv === undefined) {
            err("mesh-release: env: no environment connection in this build\n");
            return ExitCode.Infrastructure;
        }
        const files = (io.listStacks ?? readStackFiles)(common.workDir);
        const conn = io.connectEnv(common, { onOutput: common.verbose ? err : undefined });
        let plan: EnvPlan;
        try {
            plan = planEnv(req.env, req.op, files, req.op === "status" ? [] : await conn.deployed());
        } catch (e) {
            if (e instanceof ReleaseError) {
                err(`mesh-release: ${e.message}\n${e.hint !== undefined ? `  fix: ${e.hint}\n` : ""}`);
                return e.exitCode;
            }
            throw e;
        }
        if (req.op !== "status") {
            const problems = conn.check?.(req.env, files) ?? [];
            if (problems.length > 0) {
                err(`mesh-release: environment ${req.env}: ${problems.length} problem${problems.length === 1 ? "" : "s"} across its stacks (nothing was applied):\n${problems.map((p) => `  - ${p.propertyPath}: ${p.reason}`).join("\n")}\n`);
                return ExitCode.Usage;
            }
        }
        const result = await runFanout(plan, conn.driver, {
            concurrency: req.concurrency,
            signal: io.signal,
            emit: (e) => {
                if (common.json) {
                    out(`${JSON.stringify(e)}\n`);
                    return;
                }
                const line = progressLine(e);
                if (line !== undefined) {
                    out(`${line}\n`);
                }
            },
        });
        if (common.json) {
            out(`${JSON.stringify({ type: "env-finished", env: result.env, op: req.op, exitCode: result.exitCode, durationMs: result.durationMs, results: result.results })}\n`);
        } else {
            out(`\n${renderFanoutSummary(result)}`);
        }
        return result.exitCode;
    } catch (e) {
        err(`mesh-release: env ${req.op} ${req.env}: ${errorMessage(e)}\n`);
        return ExitCode.Infrastructure;
    }
}

/** argv (without `node` and the script) -> exit code. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<ExitCode> {
    const parsed = parseArgs(argv, io);
    if (parsed.kind === "exit") {
        return parsed.exitCode;
    }
    return execute(parsed.request, io);
}
