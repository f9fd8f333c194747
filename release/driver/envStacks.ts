/**
 * The environment fan-out's {@link EnvDriver} over the Automation API: every stack of the environment in the
 * project directory, through the same {@link PulumiStackDriver} a release uses, so an `up` of the fan-out
 * takes and releases the stack's backend lease in that one update (lease.ts): a service whose release is in
 * progress (on any runner) is refused and named in the summary, never overwritten.
 */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import type { DeployedStack, StackOp } from "../env/plan";
import { stackStatusSummary } from "../env/render";
import type { EnvDriver, StackOpResult } from "../env/run";
import { DriverError } from "./driver";
import { parseLease } from "./lease";
import { changeSummary, cliErrorSummary, PulumiStackDriver, pulumiCommandFor, type ProgramSource } from "./pulumiStack";

export interface PulumiEnvDriverOptions {
    workDir: string;
    program: ProgramSource;
    pulumiRoot?: string;
    envVars?: Record<string, string>;
    onOutput?: (text: string) => void;
    /** The secrets provider of the stacks this fan-out creates (PulumiStackDriverOptions.secretsProvider). Default: each stack file's. */
    secretsProvider?: string;
}

/** The service stack program's refusal when its platformStack is a stack the backend does not hold (stacks/index.ts). */
const NO_PLATFORM_YET = /platformStack is "[^"]*", a stack this backend does not hold/;

export class PulumiEnvDriver implements EnvDriver {
    /** The stacks the backend held at the last {@link deployed}: a stack not among them is created with `stack init` alone. */
    private known: Set<string> | undefined;

    constructor(private readonly opts: PulumiEnvDriverOptions) {}

    /** Stacks the backend holds for this project. */
    async deployed(): Promise<DeployedStack[]> {
        const pulumiCommand = await pulumiCommandFor(this.opts.pulumiRoot);
        const ws = await LocalWorkspace.create({ workDir: this.opts.workDir, pulumiCommand, envVars: this.opts.envVars });
        const stacks = (await ws.listStacks()).map((s) => ({ name: s.name, resourceCount: s.resourceCount ?? 0 }));
        this.known = new Set(stacks.map((s) => s.name));
        return stacks;
    }

    private driver(stackName: string, create: boolean | "new"): PulumiStackDriver {
        return new PulumiStackDriver({ stackName, workDir: this.opts.workDir, program: this.opts.program, pulumiRoot: this.opts.pulumiRoot, envVars: this.opts.envVars, onOutput: this.opts.onOutput, create, ...(this.opts.secretsProvider !== undefined ? { secretsProvider: this.opts.secretsProvider } : {}) });
    }

    /** One operation on one stack. A failed CLI command is reported by its diagnostics (cliErrorSummary), not by the
     * first line of the Automation API's error, which is only `code: <exit code>`. */
    async run(stackName: string, op: StackOp, signal?: AbortSignal): Promise<StackOpResult> {
        try {
            return await this.runOp(stackName, op, signal);
        } catch (err) {
            if (err instanceof DriverError || !(err instanceof Error)) throw err;
            throw new Error(cliErrorSummary(err.message));
        }
    }

    private async runOp(stackName: string, op: StackOp, signal?: AbortSignal): Promise<StackOpResult> {
        // A stack the project declares but the backend does not hold yet is created by its first up or preview.
        // One CLI process less per new stack: `stack init` without a `stack select` that is known to fail.
        const creates = op === "up" || op === "preview";
        const driver = this.driver(stackName, creates && this.known !== undefined && !this.known.has(stackName) ? "new" : creates);
        switch (op) {
            case "up": {
                const unlock = await driver.lock(`mesh-release env up (pid ${process.pid})`);
                try {
                    const r = await driver.update({ message: `mesh-release env up ${stackName}`, signal, final: true });
                    return { summary: r.summary };
                } finally {
                    await unlock();
                }
            }
            case "preview": {
                // A preview changes nothing on the backend: a stack it had to create for the preview is removed after it.
                const isNew = this.known !== undefined && !this.known.has(stackName);
                const stack = await driver.stack();
                try {
                    const r = await stack.preview({ signal, onOutput: this.opts.onOutput });
                    return { summary: `${isNew ? "new stack: " : ""}${changeSummary(r.changeSummary)}` };
                } catch (err) {
                    const text = cliErrorSummary(err instanceof Error ? err.message : String(err));
                    // A service stack of a new environment reads a platform stack that is not up yet: nothing is wrong with it.
                    if (isNew && NO_PLATFORM_YET.test(text)) {
                        return { summary: "new stack: previewed after its platform stack is up (env up brings the platform up first, then this stack)" };
                    }
                    throw new Error(text);
                } finally {
                    if (isNew) await stack.workspace.removeStack(stackName).catch(() => undefined);
                }
            }
            case "destroy": {
                const stack = await driver.stack();
                const r = await stack.destroy({ signal, onOutput: this.opts.onOutput });
                await stack.workspace.removeStack(stackName);
                return { summary: `destroyed and removed: ${changeSummary(r.summary.resourceChanges)}` };
            }
            case "preview-destroy": {
                const stack = await driver.stack();
                const state = await stack.exportStack();
                const n = ((state.deployment as { resources?: unknown[] } | undefined)?.resources ?? []).length;
                return { summary: `would be destroyed after the platform's root route to it is gone: ${n} resources` };
            }
            case "status": {
                const stack = await driver.stack();
                // the lease by one `stack output` (the Automation API's outputs() runs two), the last update by one `stack history`
                const [leaseValue, history] = await Promise.all([driver.leaseOutput(), stack.history(1, 1, false)]);
                const lease = parseLease(stackName, leaseValue);
                return { summary: stackStatusSummary(history[0], lease === undefined ? undefined : lease.ok ? lease.value : { unreadable: lease.reason }) };
            }
            default: {
                const never: never = op;
                return never;
            }
        }
    }
}
