/**
 * A throwaway Pulumi project + stack of OUR program (the repo's Pulumi.yaml and index.ts) for the
 * benchmarks on the local control plane, in a temp dir, so no committed `Pulumi.<stack>.yaml` is touched.
 * The program can be switched between the TypeScript source (run by ts-node in the language host, with or
 * without type-checking) and JavaScript compiled once with `tsc -p tsconfig.build.json`.
 *
 * Needs the environment bench/run.sh sets up (scripts/pulumi-env.sh + scripts/local-cluster.sh):
 * MESH_TOOLCHAIN_DIR, PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, KUBECONFIG.
 */
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { PROJECT } from "../../contract/project";
import { environmentProblem, tempProjectSettings, tempStackSettings } from "../../test/support/pulumiProject";
import { REPO_ROOT } from "./report";

/** How the language host runs the program. */
export type ProgramKind =
    /** index.ts through ts-node with type-checking (Pulumi's default for a TypeScript project). */
    | "ts-typecheck"
    /** index.ts through ts-node, transpile only (PULUMI_NODEJS_TRANSPILE_ONLY=true). */
    | "ts-transpile"
    /** dist/index.js compiled once by `tsc -p tsconfig.build.json`, plain Node. */
    | "js";

export interface BenchProject {
    readonly workDir: string;
    readonly stackName: string;
    readonly stack: Stack;
    /** Root of the Pulumi CLI installation (`<root>/bin/pulumi`), for the driver's `pulumiRoot`. */
    readonly pulumiRoot: string;
    /** Rewrites Pulumi.yaml so the next command runs `kind`; returns the env vars that kind needs. */
    use(kind: ProgramKind): Record<string, string>;
    /** Destroys the stack's resources, removes the stack and the temp dir. */
    dispose(): Promise<void>;
}

function readYaml(file: string): Record<string, unknown> {
    return parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
}

/** Compiles the program to `<outDir>/index.js` (tsc's exit code 2 = type errors in someone's WIP; it still emits). */
export function compileProgram(outDir: string): string {
    const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    try {
        execFileSync(process.execPath, [tsc, "-p", path.join(REPO_ROOT, "tsconfig.build.json"), "--outDir", outDir, "--declaration", "false", "--sourceMap", "false"], {
            cwd: REPO_ROOT,
            stdio: ["ignore", "pipe", "pipe"],
        });
    } catch (err) {
        const out = String((err as { stdout?: Buffer }).stdout ?? "");
        process.stderr.write(`tsc reported type errors (the JS is emitted anyway):\n${out.slice(0, 2000)}\n`);
    }
    const main = path.join(outDir, "index.js");
    if (!fs.existsSync(main)) {
        throw new Error(`tsc -p tsconfig.build.json did not emit ${main}`);
    }
    return main;
}

/**
 * A stack named `stackName` in a new temp project. `config` holds the `mesh-traffic:` keys without the
 * prefix; with `base` (a stack file relative to the repo, e.g. "Pulumi.dev.yaml") they are merged over it, then
 * `edit` (if given) may change or delete keys of the merged config.
 */
export async function benchProject(opts: {
    stackName: string;
    config: Record<string, unknown>;
    base?: string;
    secretsProvider?: string;
    edit?: (config: Record<string, unknown>) => void;
}): Promise<BenchProject> {
    const problem = environmentProblem();
    if (problem !== undefined) {
        throw new Error(`${problem}. For benchmarks: bench/run.sh <script> does the same.`);
    }
    const pulumiRoot = process.env["MESH_TOOLCHAIN_DIR"] ?? "";
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-bench-project-"));
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(workDir, "node_modules"), "dir");
    const repoProject = readYaml(path.join(REPO_ROOT, "Pulumi.yaml"));
    const base = opts.base === undefined ? {} : readYaml(path.join(REPO_ROOT, opts.base));
    const namespace = typeof opts.config["namespace"] === "string" ? opts.config["namespace"] : "mesh-bench";
    const stackSettings = tempStackSettings(base, namespace, (c) => {
        Object.assign(c, opts.config);
        opts.edit?.(c);
    });
    if (opts.secretsProvider !== undefined) {
        delete stackSettings["encryptionsalt"]; // the base's passphrase salt: `stack init --secrets-provider` writes the KMS's key instead
    }
    fs.writeFileSync(path.join(workDir, `Pulumi.${opts.stackName}.yaml`), stringify(stackSettings));

    let compiled: string | undefined;
    // set once the stack exists; `use` is called before that (for the first workspace's env) and after
    const ws: { current?: LocalWorkspace } = {};
    const use = (kind: ProgramKind): Record<string, string> => {
        const settings = tempProjectSettings(repoProject, workDir);
        const tsEnv = { PULUMI_NODEJS_TSCONFIG_PATH: path.join(REPO_ROOT, "tsconfig.json") };
        let env: Record<string, string>;
        switch (kind) {
            case "ts-typecheck":
                env = { ...tsEnv, PULUMI_NODEJS_TRANSPILE_ONLY: "false" };
                break;
            case "ts-transpile":
                env = { ...tsEnv, PULUMI_NODEJS_TRANSPILE_ONLY: "true" };
                break;
            case "js":
                compiled ??= compileProgram(path.join(workDir, "dist"));
                settings["main"] = path.relative(workDir, compiled);
                settings["runtime"] = { name: "nodejs", options: { typescript: false } };
                env = { PULUMI_NODEJS_TRANSPILE_ONLY: "false" };
                break;
            default: {
                const never: never = kind;
                throw new Error(`unknown program kind ${String(never)}`);
            }
        }
        fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), stringify(settings));
        if (ws.current !== undefined) {
            delete ws.current.envVars["PULUMI_NODEJS_TSCONFIG_PATH"];
            Object.assign(ws.current.envVars, env);
        }
        return env;
    };
    const pulumiCommand = await PulumiCommand.get({ root: pulumiRoot });
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: opts.stackName, workDir },
        { workDir, pulumiCommand, envVars: use("ts-transpile"), ...(opts.secretsProvider !== undefined ? { secretsProvider: opts.secretsProvider } : {}) },
    );
    if (opts.secretsProvider !== undefined) {
        assertSecretsProvider(workDir, opts.stackName, opts.secretsProvider);
    }
    if (!(stack.workspace instanceof LocalWorkspace)) {
        throw new Error(`${PROJECT}: expected a LocalWorkspace for the bench stack in ${workDir}`);
    }
    ws.current = stack.workspace;
    return {
        workDir,
        stackName: opts.stackName,
        stack,
        pulumiRoot,
        use,
        dispose: async () => {
            try {
                await stack.destroy({ refresh: false });
                await stack.workspace.removeStack(opts.stackName);
            } finally {
                fs.rmSync(workDir, { recursive: true, force: true });
            }
        },
    };
}

/**
 * Throws unless `Pulumi.<stack>.yaml` holds `provider` with a wrapped data key and no passphrase salt: what a bench
 * row measures as a KMS stack must not be a passphrase stack (a `stack init` without `--secrets-provider` makes one).
 */
export function assertSecretsProvider(workDir: string, stackName: string, provider: string): void {
    const file = path.join(workDir, `Pulumi.${stackName}.yaml`);
    const doc = readYaml(file);
    if (doc["secretsprovider"] !== provider || typeof doc["encryptedkey"] !== "string" || doc["encryptedkey"] === "" || doc["encryptionsalt"] !== undefined) {
        throw new Error(
            `${file}: expected secretsprovider ${provider} with an encryptedkey and no encryptionsalt, found secretsprovider ${String(doc["secretsprovider"])}, ` +
                `encryptedkey ${doc["encryptedkey"] === undefined ? "none" : "set"}, encryptionsalt ${doc["encryptionsalt"] === undefined ? "none" : "set"}`,
        );
    }
}

/** The mesh program run in the bench's own process (index.ts's program, as the release driver's inline `--program`). */
export async function inlineProgram(): Promise<Record<string, unknown>> {
    const { buildMeshStack, checkStackInput, readStackInput } = await import("../../stacks");
    const { outputs } = buildMeshStack(checkStackInput(readStackInput()));
    return { ...outputs };
}
