/**
 * The `mesh-release` command line, minus the process edges (bin/mesh-release.ts wires the Pulumi driver,
 * Prometheus, stdout and the signals). Three testable parts:
 *
 * - {@link parseArgs} (program.ts): argv -> a typed {@link CliRequest} (types.ts; commander; a usage error is exit
 *   2, never a half-parsed request). Every option's value is checked there, before anything touches a stack, and
 *   every problem is named at once with the option, the value, the rule and the fix: the values commander converts
 *   (durations, percentages, counts) in their parsers (options.ts), the rest in `commonProblems` (options.ts) and
 *   each command's action (the policy's own flags through release/core/policy.ts `requestProblems`, header/cookie
 *   flags through release/core/edits.ts `flagProblems`, the paths through {@link ParseEnv.pathKind}). Flag values
 *   the policy owns (`--steps`, `--interval`, thresholds) stay strings in the request: release/core/policy.ts
 *   resolves them with the stack config.
 * - {@link execute} (execute.ts; `env` in env.ts): a request -> the release library (runRollout, or the one-shot
 *   commands below) with the reporters attached -> an exit code (release/core/errors.ts ExitCode).
 * - The one-shot commands `ab-test`, `fault` and `status` live in release/orchestration/oneShot.ts (library API).
 *
 * Secrets: every line written goes through one Redactor that learns the stack's secret values
 * (from the driver's read) and the Prometheus credentials (from the resolved policy).
 */
import type { ExitCode } from "../core/errors";
import { execute } from "./execute";
import { parseArgs } from "./program";
import type { CliIO } from "./types";

export type { AbTestRequest, FaultRequest, StatusRequest } from "../orchestration/oneShot";
export type { CliIO, CliRequest, CommonOptions, Connect, ConnectEnv, Connection, EnvConnection, EnvRequest, GateRequest, ParseEnv, ParseResult, StackLister } from "./types";
export { commonProblems } from "./options";
export { buildProgram, parseArgs } from "./program";
export { execute, observeSecrets } from "./execute";

/** argv (without `node` and the script) -> exit code. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<ExitCode> {
    const parsed = parseArgs(argv, io);
    if (parsed.kind === "exit") {
        return parsed.exitCode;
    }
    return execute(parsed.request, io);
}
