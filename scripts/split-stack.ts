/**
 * Migrate a single-layout stack (`layout: single`, every service in one stack) to per-service stacks: the
 * stack becomes the environment's platform stack and each service moves to its own stack `<stack>.<svc>`,
 * without deleting or recreating a live object (`pulumi state move` hands the resources over; the next
 * updates only change the VirtualServices into delegation and add each service's delegate).
 *
 *   node -r ts-node/register/transpile-only scripts/split-stack.ts --stack dev [--service sample-app ...] \
 *       [--cwd <project dir>] [--pulumi-root <dir with bin/pulumi>]
 *
 * Order (make before break: a delegate exists before a root route points at it):
 *   1. check: the stack has layout single; no target stack `<stack>.<svc>` exists yet;
 *   2. per service: `pulumi stack init <stack>.<svc>` with `layout: service`, `platformStack: <stack>`,
 *      `skipAwait` as the stack has it, `services.<svc>` and `rollouts.<svc>` copied;
 *   3. `pulumi state move --source <stack> --dest <stack>.<svc>` of the service's Workloads and Canary
 *      components (their children follow);
 *   4. the stack gets `layout: platform`, loses `services` and `rollouts`; `pulumi up --exclude` its gateway
 *      VirtualServices: its `platform` output appears, its root routes still route directly;
 *   5. `pulumi up` each service stack: its mesh VirtualService becomes a root delegating to the new delegate;
 *   6. `pulumi up` the platform stack: its gateway routes delegate to the delegates that now exist;
 *   7. `pulumi preview --expect-no-changes` of every stack.
 * Each step prints what it does; the first failure stops with the step, the stack and the command's output.
 */
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { Command } from "commander";
import { PROJECT, serviceStackName } from "../contract/project";
import { configFromPulumiMap } from "../contract/stackConfig";

const run = promisify(execFile);

/** What {@link splitStack} needs. */
export interface SplitOptions {
    /** The project dir (its Pulumi.yaml). */
    workDir: string;
    /** The single-layout stack to split; it becomes the platform stack. */
    stack: string;
    /** Services to move. Default: every service of the stack (a platform stack holds none). */
    services?: string[];
    /** The Pulumi CLI. Default: `pulumi` on PATH. */
    pulumiCommand?: PulumiCommand;
    /** Environment for the CLI and the program (backend, passphrase, ...). Default: this process's. */
    envVars?: Record<string, string>;
    /** Progress lines. Default: none. */
    log?: (line: string) => void;
}

/** What {@link splitStack} did. */
export interface SplitResult {
    platform: string;
    serviceStacks: string[];
    /** URNs moved, per service stack. */
    moved: Record<string, string[]>;
}

type Deployment = { resources?: { urn: string; type: string; parent?: string }[] };

const urnName = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

/** Splits a single-layout stack into a platform stack and one stack per service (see the file comment). */
export async function splitStack(opts: SplitOptions): Promise<SplitResult> {
    const log = opts.log ?? ((): void => undefined);
    const envVars = opts.envVars ?? {};
    const pulumiCommand = opts.pulumiCommand ?? (await PulumiCommand.get());
    const ws = await LocalWorkspace.create({ workDir: opts.workDir, pulumiCommand, envVars });
    const step = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
        log(`${what}\n`);
        try {
            return await f();
        } catch (err) {
            throw new Error(`split-stack: ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
        }
    };

    // 1. check
    const platform = await LocalWorkspace.selectStack({ stackName: opts.stack, workDir: opts.workDir }, { workDir: opts.workDir, pulumiCommand, envVars });
    const flat = Object.fromEntries(Object.entries(await platform.getAllConfig()).map(([k, v]) => [k, v.value]));
    const { raw } = configFromPulumiMap(flat);
    const layout = raw["layout"] ?? "single";
    if (layout !== "single") {
        throw new Error(`split-stack: stack "${opts.stack}" has layout ${JSON.stringify(layout)}; only a single-layout stack is split`);
    }
    const all = (raw["services"] ?? {}) as Record<string, unknown>;
    const services = opts.services ?? Object.keys(all);
    const missing = services.filter((s) => all[s] === undefined);
    if (missing.length > 0) {
        throw new Error(`split-stack: stack "${opts.stack}" has no service ${missing.map((s) => JSON.stringify(s)).join(", ")} (it has ${Object.keys(all).join(", ") || "none"})`);
    }
    if (services.length !== Object.keys(all).length) {
        throw new Error(`split-stack: a platform stack holds no services; move every service of "${opts.stack}" (${Object.keys(all).join(", ")})`);
    }
    const existing = new Set((await ws.listStacks()).map((s) => s.name.slice(s.name.lastIndexOf("/") + 1)));
    const taken = services.map((s) => serviceStackName(opts.stack, s)).filter((s) => existing.has(s));
    if (taken.length > 0) {
        throw new Error(`split-stack: ${taken.join(", ")} already exist${taken.length === 1 ? "s" : ""}; remove ${taken.length === 1 ? "it" : "them"} or move the services by hand`);
    }
    const rollouts = (raw["rollouts"] ?? {}) as Record<string, unknown>;
    const state = (await platform.exportStack()).deployment as Deployment;
    const resources = state.resources ?? [];
    const stackUrn = resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn;

    // 2. + 3. per service: its stack, its config, its resources
    const serviceStacks: Stack[] = [];
    const moved: Record<string, string[]> = {};
    for (const svc of services) {
        const name = serviceStackName(opts.stack, svc);
        const stack = await step(`create stack ${name} (layout service, platformStack ${opts.stack})`, async () => {
            const s = await LocalWorkspace.createStack({ stackName: name, workDir: opts.workDir }, { workDir: opts.workDir, pulumiCommand, envVars });
            const settings = await s.workspace.stackSettings(name);
            const config: Record<string, unknown> = {
                [`${PROJECT}:layout`]: "service",
                [`${PROJECT}:platformStack`]: opts.stack,
                ...(raw["skipAwait"] === undefined ? {} : { [`${PROJECT}:skipAwait`]: String(raw["skipAwait"]) }),
                [`${PROJECT}:services`]: { [svc]: all[svc] },
                ...(rollouts[svc] === undefined ? {} : { [`${PROJECT}:rollouts`]: { [svc]: rollouts[svc] } }),
            };
            await s.workspace.saveStackSettings(name, { ...settings, config });
            return s;
        });
        serviceStacks.push(stack);
        const urns = resources
            .filter((r) => r.parent === stackUrn && (r.type === `${PROJECT}:index:Workloads` || r.type === `${PROJECT}:index:Canary`) && urnName(r.urn) === svc)
            .map((r) => r.urn);
        moved[name] = urns;
        if (urns.length > 0) {
            await step(`pulumi state move --source ${opts.stack} --dest ${name} ${urns.join(" ")}`, async () => {
                await run(pulumiCommand.command, ["state", "move", "--source", opts.stack, "--dest", name, "--yes", "--non-interactive", ...urns], {
                    cwd: opts.workDir,
                    env: { ...process.env, ...envVars },
                    maxBuffer: 64 * 1024 * 1024,
                });
            });
        }
    }

    // 4. the platform stack, root routes held back
    await step(`stack ${opts.stack}: layout platform, services and rollouts removed`, async () => {
        await platform.setConfig(`${PROJECT}:layout`, { value: "platform" });
        await platform.removeConfig(`${PROJECT}:services`);
        if (raw["rollouts"] !== undefined) await platform.removeConfig(`${PROJECT}:rollouts`);
    });
    // The gateway VirtualServices, by URN (the state's `type` is the bare type; the URN names the parent chain).
    const roots = resources
        .map((r) => r.urn)
        .filter((urn) => /:index:(IngressGateway|InternalGateway)\$kubernetes:networking\.istio\.io\/v1:VirtualService::/.test(urn));
    await step(`pulumi up ${opts.stack} --exclude its gateway VirtualServices (its platform output first)`, async () => {
        await platform.up({ exclude: roots, onOutput: log });
    });
    // 5. the delegates
    for (const s of serviceStacks) {
        await step(`pulumi up ${s.name}`, async () => {
            await s.up({ onOutput: log });
        });
    }
    // 6. the root routes
    await step(`pulumi up ${opts.stack}`, async () => {
        await platform.up({ onOutput: log });
    });
    // 7. nothing left to do
    for (const s of [platform, ...serviceStacks]) {
        await step(`pulumi preview ${s.name} --expect-no-changes`, async () => {
            await s.preview({ expectNoChanges: true, onOutput: log });
        });
    }
    return { platform: opts.stack, serviceStacks: serviceStacks.map((s) => s.name), moved };
}

/** The command line. */
async function main(argv: string[]): Promise<number> {
    const program = new Command()
        .name("split-stack")
        .description("Split a single-layout stack into a platform stack and one stack per service")
        .requiredOption("--stack <name>", "the single-layout stack (it becomes the platform stack)")
        .option("--service <name...>", "services to move (default: all)")
        .option("--cwd <dir>", "the project dir", process.cwd())
        .option("--pulumi-root <dir>", "install root of the Pulumi CLI (bin/pulumi); default: pulumi on PATH");
    program.parse(argv);
    const o = program.opts<{ stack: string; service?: string[]; cwd: string; pulumiRoot?: string }>();
    const pulumiCommand = await PulumiCommand.get(o.pulumiRoot === undefined ? {} : { root: path.resolve(o.pulumiRoot) });
    const res = await splitStack({
        workDir: path.resolve(o.cwd),
        stack: o.stack,
        ...(o.service === undefined ? {} : { services: o.service }),
        pulumiCommand,
        log: (l) => process.stdout.write(l),
    });
    process.stdout.write(`done: platform stack ${res.platform}; service stacks ${res.serviceStacks.join(", ")}\n`);
    return 0;
}

if (require.main === module) {
    main(process.argv).then(
        (code) => process.exit(code),
        (err: unknown) => {
            process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
            process.exit(1);
        },
    );
}
