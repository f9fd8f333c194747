/**
 * A Pulumi stack of OUR program (the repo's Pulumi.yaml + index.ts) on the local control plane, for e2e
 * tests, driven through the Automation API with the CLI the project built (scripts/toolchain.sh). It never
 * touches the committed `Pulumi.<stack>.yaml` files:
 *
 * - a temporary project dir gets a copy of the repo's Pulumi.yaml whose `main:` points back at the repo's
 *   program file (so the real program runs, from the repo, with the repo's node_modules), and
 * - `Pulumi.<stack>.yaml` there is a copy of the repo's Pulumi.dev.yaml (with its `encryptionsalt`, so its
 *   secure values decrypt with the same passphrase) with `mesh-traffic:namespace` made unique, and any
 *   edits the test asks for.
 *
 * The language host is the one the toolchain built (pulumi-language-nodejs from sdk v3.68.0, see
 * docs/toolchain.md); the program is transpiled only (PULUMI_NODEJS_TRANSPILE_ONLY: typechecking is
 * `npm run typecheck`'s job) with the repo's tsconfig.json.
 *
 * Needs the environment scripts/e2e.sh sets up (scripts/pulumi-env.sh + scripts/local-cluster.sh):
 * MESH_TOOLCHAIN_DIR, PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, KUBECONFIG.
 *
 *   const p = await projectStack({ edit: (c) => { c["services"]... } });
 *   await p.stack.up({ onOutput: p.log });
 *   ...
 *   await p.dispose();            // destroy (if anything is left), remove the stack and the temp dir
 */
import { destroyStack, sweepNamespace } from "./teardown";
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { PROJECT } from "../../contract/project";

/** The repository root (this file is test/support/pulumiProject.ts). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");


/** Config of a stack as plain data: keys without the `mesh-traffic:` prefix; other namespaces keep theirs. */
export type PlainConfig = Record<string, unknown>;

export interface ProjectStackOptions {
    /** Stack name. Default `e2e-<8 hex>`, unique per call. */
    stackName?: string;
    /** Stack config file to start from, relative to the repo root. Default "Pulumi.dev.yaml". */
    baseConfig?: string;
    /** Namespace of every object (`mesh-traffic:namespace`). Default `mesh-e2e-<8 hex>`, unique per call. */
    namespace?: string;
    /**
     * Edits to the config before the stack is created: gets the `mesh-traffic:` keys without the prefix
     * (objects as parsed from the YAML) and may change them in place. Default: none.
     */
    edit?: (config: PlainConfig) => void;
    /** Extra environment for the CLI and the program. Default: none. */
    envVars?: Record<string, string>;
    /**
     * A project dir from {@link createProjectDir} to add this stack to (stacks of one project can read each
     * other's outputs by stack name). Default: a new temp project dir of its own, removed by
     * `dispose`; a given one is left to its creator.
     */
    projectDir?: string;
    /**
     * The dir whose `bin/pulumi` is the CLI (`PulumiCommand.get({ root })`). Default MESH_TOOLCHAIN_DIR; the policy pack
     * tests use the langhost-policy dir (scripts/toolchain.sh --print-langhost-policy-dir), whose CLI runs Node policy
     * packs; they put its bin dir first on PATH through `envVars`.
     */
    cliRoot?: string;
}

export interface ProjectStack {
    readonly stack: Stack;
    readonly stackName: string;
    /** The namespace every object of this stack goes to. */
    readonly namespace: string;
    /** The temporary project dir (Pulumi.yaml and Pulumi.<stack>.yaml). */
    readonly workDir: string;
    /** Collects CLI output (pass as `onOutput`); {@link ProjectStack.output} returns it. */
    readonly log: (line: string) => void;
    /** Everything {@link ProjectStack.log} collected so far. */
    output(): string;
    /** `pulumi config set --path KEY VALUE` on this stack (KEY without the `mesh-traffic:` prefix). */
    setConfigPath(key: string, value: string | number | boolean): Promise<void>;
    /** Destroy what is left, remove the stack from the backend and the temp dir. Idempotent. */
    dispose(): Promise<void>;
}

/** Problems with the environment, as one message saying how to fix them; undefined when all is set. */
export function environmentProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
    const missing = ["MESH_TOOLCHAIN_DIR", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "KUBECONFIG"].filter(
        (k) => (env[k] ?? "") === "",
    );
    if (missing.length === 0) {
        return undefined;
    }
    return (
        `${missing.join(", ")} not set: run the e2e tests with \`npm run test:e2e\` (scripts/e2e.sh builds the ` +
        "toolchain, starts the local control plane and sources scripts/pulumi-env.sh)"
    );
}

/** The `main:` program file of the repo's Pulumi.yaml, absolute. Default index.ts. */
export function programFile(project: Record<string, unknown>, repoRoot: string = REPO_ROOT): string {
    const main = typeof project["main"] === "string" ? project["main"] : "index.ts";
    const abs = path.resolve(repoRoot, main);
    // A directory main would make the Node host fall back to package.json "main" (dist/, compiled): use index.ts.
    return fs.existsSync(abs) && fs.statSync(abs).isDirectory() ? path.join(abs, "index.ts") : abs;
}

/**
 * The Pulumi.yaml of the temp project: the repo's, with `main:` pointing at the repo's program file from
 * `workDir` (relative, as Pulumi.yaml wants it). Pure.
 */
export function tempProjectSettings(
    project: Record<string, unknown>,
    workDir: string,
    repoRoot: string = REPO_ROOT,
): Record<string, unknown> {
    const { backend: _backend, ...rest } = project;
    return { ...rest, main: path.relative(workDir, programFile(project, repoRoot)) };
}

/**
 * The Pulumi.<stack>.yaml of the temp stack: the base stack file with `mesh-traffic:namespace` set and
 * `edit` applied to the `mesh-traffic:` keys. Keeps `encryptionsalt`/`secretsprovider` and secure values. Pure
 * (the input is not mutated).
 */
export function tempStackSettings(
    base: Record<string, unknown>,
    namespace: string,
    edit?: (config: PlainConfig) => void,
): Record<string, unknown> {
    const copy = structuredClone(base);
    const config = (copy["config"] ?? {}) as Record<string, unknown>;
    const prefix = `${PROJECT}:`;
    const plain: PlainConfig = {};
    const others: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config)) {
        if (k.startsWith(prefix)) {
            plain[k.slice(prefix.length)] = v;
        } else {
            others[k] = v;
        }
    }
    plain["namespace"] = namespace;
    edit?.(plain);
    const merged: Record<string, unknown> = { ...others };
    for (const [k, v] of Object.entries(plain)) {
        merged[`${prefix}${k}`] = v;
    }
    return { ...copy, config: merged };
}

const hex = (): string => randomBytes(4).toString("hex");

function readYaml(file: string): Record<string, unknown> {
    if (!fs.existsSync(file)) {
        throw new Error(`${path.relative(REPO_ROOT, file)} does not exist; the e2e tests deploy the repo's own program`);
    }
    const doc: unknown = parse(fs.readFileSync(file, "utf8"));
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
        throw new Error(`${file} is not a YAML mapping`);
    }
    return doc as Record<string, unknown>;
}

/** Environment of the CLI and the program in the e2e tests: offline, transpile-only with the repo's tsconfig. */
export function programEnv(): Record<string, string> {
    return {
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
        PULUMI_NODEJS_TSCONFIG_PATH: path.join(REPO_ROOT, "tsconfig.json"),
    };
}

/**
 * A temp project dir of our program: the repo's Pulumi.yaml with `main:` pointing back at the repo's program,
 * and the repo's node_modules linked in. The caller removes it.
 */
export function createProjectDir(): string {
    const project = readYaml(path.join(REPO_ROOT, "Pulumi.yaml"));
    if (project["name"] !== PROJECT) {
        throw new Error(`Pulumi.yaml name is ${JSON.stringify(project["name"])}; the config contract needs "${PROJECT}"`);
    }
    const workDir = fs.mkdtempSync(path.join(process.env["MESH_E2E_WORK"] ?? os.tmpdir(), "mesh-project-"));
    fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), stringify(tempProjectSettings(project, workDir)));
    // The language host resolves @pulumi/pulumi from the project dir: share the repo's node_modules.
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(workDir, "node_modules"), "dir");
    return workDir;
}

/** A stack of our program on the local control plane (see the file comment). */
export async function projectStack(opts: ProjectStackOptions = {}): Promise<ProjectStack> {
    const problem = environmentProblem();
    if (problem !== undefined) {
        throw new Error(problem);
    }
    const toolchainDir = process.env["MESH_TOOLCHAIN_DIR"] ?? "";
    const stackName = opts.stackName ?? `e2e-${hex()}`;
    const namespace = opts.namespace ?? `mesh-e2e-${hex()}`;

    const base = readYaml(path.join(REPO_ROOT, opts.baseConfig ?? "Pulumi.dev.yaml"));
    const ownDir = opts.projectDir === undefined;
    const workDir = opts.projectDir ?? createProjectDir();
    fs.writeFileSync(path.join(workDir, `Pulumi.${stackName}.yaml`), stringify(tempStackSettings(base, namespace, opts.edit)));

    // PulumiCommand.get looks for <root>/bin/pulumi and checks its (stamped) version; it never downloads.
    const pulumiCommand = await PulumiCommand.get({ root: opts.cliRoot ?? toolchainDir });
    const envVars: Record<string, string> = { ...programEnv(), ...opts.envVars };
    const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir }, { workDir, pulumiCommand, envVars });

    let out = "";
    let disposed = false;
    const log = (line: string): void => {
        out += line;
    };
    return {
        stack,
        stackName,
        namespace,
        workDir,
        log,
        output: () => out,
        setConfigPath: (key, value) => stack.setConfig(`${PROJECT}:${key}`, { value: String(value) }, true),
        dispose: async () => {
            if (disposed) {
                return;
            }
            disposed = true;
            // Every part runs whatever failed before it (teardown.ts): destroy (a stack a killed update left locked
            // is cancelled first), then the namespace swept through the API server, then the stack and the dir removed.
            const problems: string[] = [];
            try {
                const summary = await stack.exportStack();
                const resources = (summary.deployment as { resources?: unknown[] } | undefined)?.resources ?? [];
                if (resources.length > 0) {
                    const failed = await destroyStack(stack, log);
                    if (failed !== undefined) problems.push(`destroy: ${failed}`);
                }
            } catch (err) {
                problems.push(`export: ${(err as Error).message}`);
            }
            problems.push(...(await sweepNamespace(namespace).catch((err: Error) => [`sweep of ${namespace}: ${err.message}`])));
            await stack.workspace.removeStack(stackName, { force: true }).catch((err: Error) => problems.push(`stack rm: ${err.message}`));
            if (ownDir) fs.rmSync(workDir, { recursive: true, force: true });
            if (problems.length > 0) {
                throw new Error(`teardown of stack ${stackName} (namespace ${namespace}): ${problems.join("; ")}`);
            }
        },
    };
}
