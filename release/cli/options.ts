/**
 * The options' parsers and checks: the values commander converts (durations, percentages, counts, headers) are
 * checked in their parsers, the options every command takes in {@link commonProblems}; each problem names the
 * option, the value, the rule and the fix. Also the option sets several commands share (`withCommon`,
 * `withPolicy`).
 */
import * as path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { durationMs } from "../../components/validation";
import type { ConfigProblem } from "../core/errors";
import { pathKindOnDisk } from "../env/target";
import type { PolicyOverrides } from "../core/policy";
import { flagProblems } from "../core/edits";
import { reportJsonPath } from "../report/file";
import { PROGRAM_CHOICES, type ProgramChoice } from "../driver/program";
import { HEADER_FLAG } from "../orchestration/oneShot";
import type { ParseEnv } from "./types";

/**
 * A percentage. `positive`: 0 is refused too (a fault on 0 % of the requests does nothing; a typo, not a
 * request). The fix is in the message: the range and an example.
 */
export function percentArg(flag: string, opts: { int: boolean; positive: boolean; example: string }): (text: string) => number {
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
export function durationArg(flag: string): (text: string) => string {
    return (text) => {
        const ms = durationMs(text);
        if (ms === undefined || ms <= 0) {
            throw new InvalidArgumentError(`${flag} is ${JSON.stringify(text)}; it must be a Go-style duration greater than zero, such as 500ms, 5s or 1m30s`);
        }
        return text;
    };
}

export function intArg(flag: string, min: number, max: number): (text: string) => number {
    return (text) => {
        const n = Number(text);
        if (!/^\d+$/.test(text) || n < min || n > max) {
            throw new InvalidArgumentError(`${flag} is ${JSON.stringify(text)}; it must be an integer from ${min} to ${max}`);
        }
        return n;
    };
}

export function httpStatusArg(text: string): number {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 200 || n > 599) {
        throw new InvalidArgumentError(`--status is ${JSON.stringify(text)}; it must be an HTTP status from 200 to 599, such as 503`);
    }
    return n;
}

/** `--header NAME=VALUE`: the name lower-cased (header names are case-insensitive; Istio matches lower-case ones). */
export function headerArg(text: string): { name: string; value: string } {
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

export interface RawCommon {
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

export interface RawPolicy {
    steps?: string;
    interval?: string;
    successRate?: string;
    maxP95?: string;
    minRequests?: string;
    prometheusUrl?: string;
}

export function withCommon(cmd: Command): Command {
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

export function withPolicy(cmd: Command, rollout: boolean): Command {
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

export function overridesOf(o: RawPolicy): PolicyOverrides | undefined {
    const out: PolicyOverrides = {};
    if (o.steps !== undefined) out.steps = o.steps;
    if (o.interval !== undefined) out.interval = o.interval;
    if (o.successRate !== undefined) out.successRate = o.successRate;
    if (o.maxP95 !== undefined) out.latencyP95Ms = o.maxP95;
    if (o.minRequests !== undefined) out.minRequests = o.minRequests;
    if (o.prometheusUrl !== undefined) out.prometheusUrl = o.prometheusUrl;
    return Object.keys(out).length > 0 ? out : undefined;
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

/** `canary`, `fault delay`: the command's words, for a message. */
export function commandPath(cmd: Command): string {
    const names: string[] = [];
    for (let c: Command | null = cmd; c !== null && c.parent !== null; c = c.parent) {
        names.unshift(c.name());
    }
    return names.join(" ");
}
