/**
 * A project directory holding several stacks of our program (one environment's stacks), for the per-service
 * release e2e: the repo's Pulumi.yaml pointing back at the repo's program, one `Pulumi.<stack>.yaml` per stack
 * (test/support/pulumiProject.ts builds each file), and copies of it ("runners": other directories, like
 * checkouts on other CI machines, that share only the Pulumi backend). `mesh-release` runs as a child process
 * of the built-in bin (bin/mesh-release.ts under ts-node), exactly as a user runs it.
 *
 * Needs the environment scripts/e2e.sh sets up (toolchain, KUBECONFIG, PULUMI_*).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { environmentProblem, REPO_ROOT, tempProjectSettings, tempStackSettings, type PlainConfig } from "../../support/pulumiProject";
import { destroyStack, sweepNamespace } from "../../support/teardown";
import { pulumiEnv } from "./harness";

export interface EnvStackSpec {
    name: string;
    /** The `mesh-traffic:` config (keys without the prefix), applied over Pulumi.dev.yaml's. */
    edit: (config: PlainConfig) => void;
}

export interface EnvProject {
    readonly workDir: string;
    stack(name: string): Promise<Stack>;
    /** A copy of the project (Pulumi.yaml and every stack file) in a new directory: another runner. */
    runner(): string;
    /** Destroys every stack, removes them from the backend, removes the directories. */
    dispose(): Promise<void>;
}

function readYaml(file: string): Record<string, unknown> {
    return parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
}

export async function envProject(stacks: readonly EnvStackSpec[]): Promise<EnvProject> {
    const problem = environmentProblem();
    if (problem !== undefined) {
        throw new Error(problem);
    }
    const base = readYaml(path.join(REPO_ROOT, "Pulumi.dev.yaml"));
    const workDir = fs.mkdtempSync(path.join(process.env["MESH_E2E_WORK"] ?? os.tmpdir(), "mesh-env-"));
    const dirs = [workDir];
    const writeProject = (dir: string): void => {
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), stringify(tempProjectSettings(readYaml(path.join(REPO_ROOT, "Pulumi.yaml")), dir)));
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    };
    writeProject(workDir);
    for (const s of stacks) {
        // tempStackSettings sets a namespace; the spec's edit decides the final one (or removes it).
        fs.writeFileSync(path.join(workDir, `Pulumi.${s.name}.yaml`), stringify(tempStackSettings(base, "unused", s.edit)));
    }
    const pulumiCommand = await PulumiCommand.get({ root: process.env["MESH_TOOLCHAIN_DIR"] ?? "" });
    const envVars = pulumiEnv();
    const opened = new Map<string, Stack>();
    const stackOf = async (name: string): Promise<Stack> => {
        const known = opened.get(name);
        if (known !== undefined) {
            return known;
        }
        const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir }, { workDir, pulumiCommand, envVars });
        opened.set(name, stack);
        return stack;
    };
    for (const s of stacks) {
        await stackOf(s.name);
    }
    return {
        workDir,
        stack: stackOf,
        runner: () => {
            const dir = fs.mkdtempSync(path.join(process.env["MESH_E2E_WORK"] ?? os.tmpdir(), "mesh-runner-"));
            dirs.push(dir);
            writeProject(dir);
            for (const f of fs.readdirSync(workDir).filter((n) => /^Pulumi\..+\.yaml$/.test(n))) {
                fs.copyFileSync(path.join(workDir, f), path.join(dir, f));
            }
            return dir;
        },
        dispose: async () => {
            try {
                // Service stacks first: they read the platform stack (reverse order of creation). Each part runs
                // whatever failed before it (test/support/teardown.ts); what destroy left is swept from the namespaces.
                const namespaces = new Set<string>();
                for (const s of [...stacks].reverse()) {
                    const ns = (readYaml(path.join(workDir, `Pulumi.${s.name}.yaml`))["config"] as Record<string, unknown> | undefined)?.["mesh-traffic:namespace"];
                    if (typeof ns === "string") namespaces.add(ns);
                    const stack = await stackOf(s.name).catch(() => undefined);
                    if (stack === undefined) continue;
                    await destroyStack(stack);
                    await stack.workspace.removeStack(s.name, { force: true }).catch(() => undefined);
                }
                for (const ns of namespaces) {
                    await sweepNamespace(ns).catch(() => undefined);
                }
            } finally {
                for (const d of dirs) {
                    fs.rmSync(d, { recursive: true, force: true });
                }
            }
        },
    };
}

export interface CliRun {
    code: number | null;
    /** Parsed `--json` lines. */
    events: Record<string, unknown>[];
    stdout: string;
    stderr: string;
    startedAt: number;
    endedAt: number;
}

/**
 * Runs `mesh-release <args> --json` in a child process (bin/mesh-release.ts under ts-node) in `cwd`;
 * `onEvent` sees each event as it comes (a test starts the next process on one).
 */
export function meshRelease(args: readonly string[], cwd: string, onEvent?: (e: Record<string, unknown>) => void): Promise<CliRun> {
    const startedAt = Date.now();
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "bin", "mesh-release.ts"), ...args, "--json", "--cwd", cwd], {
        cwd: REPO_ROOT,
        env: { ...process.env, ...pulumiEnv() },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const events: Record<string, unknown>[] = [];
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const lines = readline.createInterface({ input: child.stdout });
    lines.on("line", (line) => {
        stdout += `${line}\n`;
        try {
            const e = JSON.parse(line) as Record<string, unknown>;
            events.push(e);
            onEvent?.(e);
        } catch {
            // not an event line
        }
    });
    return new Promise((resolve) => {
        child.once("close", (code) => resolve({ code, events, stdout, stderr, startedAt, endedAt: Date.now() }));
    });
}

/** The `rollout-finished` event of a run, for messages. */
export function finished(run: CliRun): Record<string, unknown> | undefined {
    return run.events.find((e) => e["type"] === "rollout-finished");
}
