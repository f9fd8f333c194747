/**
 * The commander program: every command, its options and what it makes of them ({@link CliRequest}); nothing runs
 * while parsing. {@link parseArgs}: argv -> a typed request, or the exit code (a usage error is exit 2, never a
 * half-parsed request). Flag values the policy owns (`--steps`, `--interval`, thresholds) stay strings in the
 * request: core/policy.ts resolves them with the stack config (its `requestProblems` checks them here; header and
 * cookie flags go through core/edits.ts `flagProblems`).
 */
import * as path from "node:path";
import { Command, CommanderError, Option } from "commander";
import { durationMs } from "../../components/validation";
import { ExitCode, type ConfigProblem } from "../core/errors";
import { pathKindOnDisk } from "../env/target";
import { ENV_OPS, type EnvOp } from "../env/plan";
import { requestProblems } from "../core/policy";
import { flagProblems, type FaultSpec } from "../core/edits";
import { IMPORT_HELP, IMPORT_LAYOUTS, importOptionProblems, type ImportLayout } from "../../importer/command";
import { commandPath, commonProblems, durationArg, headerArg, httpStatusArg, intArg, overridesOf, percentArg, withCommon, withPolicy, type RawCommon, type RawPolicy } from "./options";
import type { CliRequest, CommonOptions, ParseEnv, ParseResult } from "./types";
import type { DistributiveOmit } from "../orchestration/updater";

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
    // The one request both fault verbs make: the fault on the service, only for --header's requests when given.
    type FaultOpts = { service: string; header?: { name: string; value: string } };
    const faultRequest = (cmd: Command, o: FaultOpts, fault: DistributiveOmit<FaultSpec, "header">): void => {
        out.request = {
            command: "fault",
            common: common(cmd, requestProblems({ service: o.service })),
            fault: { service: o.service, fault: { ...fault, ...(o.header !== undefined ? { header: o.header } : {}) } },
        };
    };
    faultCmd("delay", "delay <percent> of the requests by --delay")
        .option("--delay <duration>", "fixed delay, Go duration", durationArg("--delay"), "5s")
        .action((percentage: number, _o: unknown, cmd: Command) => {
            const o = cmd.opts<FaultOpts & { delay: string }>();
            faultRequest(cmd, o, { kind: "delay", percentage, fixedDelay: o.delay });
        });
    faultCmd("abort", "abort <percent> of the requests with HTTP --status")
        .option("--status <code>", "HTTP status of the aborted requests", httpStatusArg, 503)
        .action((percentage: number, _o: unknown, cmd: Command) => {
            const o = cmd.opts<FaultOpts & { status: number }>();
            faultRequest(cmd, o, { kind: "abort", percentage, httpStatus: o.status });
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

    withPolicy(withCommon(program.command("status").description("the configured weights and the live split (of the VirtualService, or the Gateway API route), the rollout's phase and step, and the current metrics against their thresholds")), false)
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
