/** `mesh-release env up|preview|status`: the environment fan-out's plan, check, run and summary (release/env/). */
import { ExitCode, ReleaseError, errorMessage } from "../core/errors";
import { readStackFiles } from "../env/target";
import { planEnv, type EnvPlan } from "../env/plan";
import { progressLine, renderFanoutSummary } from "../env/render";
import { runFanout } from "../env/run";
import type { CliIO, CommonOptions, EnvRequest } from "./types";

/** `mesh-release env`: plan (release/env/plan.ts), check, run (release/env/run.ts), summary table. Never throws. */
export async function executeEnv(common: CommonOptions, req: EnvRequest, io: CliIO): Promise<ExitCode> {
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
