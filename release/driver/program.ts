/**
 * Which program a release's `pulumi up` runs. A step through the project's own program costs a Node language
 * host, a fresh Node process and a TypeScript compile per update; when the project IS this package's program
 * (its `Pulumi.yaml` `main` is this package's `index.ts`), the same program runs inline in the release
 * process instead, on the same stack, config and state (BENCHMARKS.md, weight-step latency: the inline
 * program is the fastest variant measured).
 *
 * - `auto` (the default): inline for this package's program, the project's own program otherwise;
 * - `local`: always the project's own program (its `Pulumi.yaml` `main`, by the CLI's language host);
 * - `inline`: always this package's program, in process.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { ProgramSource } from "./pulumiStack";

export type ProgramChoice = "auto" | "local" | "inline";
export const PROGRAM_CHOICES: readonly ProgramChoice[] = ["auto", "local", "inline"];

/** The directory of this package (the one holding its package.json), from this file in source or in dist/. */
export function packageRoot(): string {
    let dir = __dirname;
    for (;;) {
        const pkg = path.join(dir, "package.json");
        if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: unknown }).name === "mesh-traffic") {
            return dir;
        }
        const up = path.dirname(dir);
        if (up === dir) {
            throw new Error(`mesh-release: no package.json of mesh-traffic above ${__dirname}`);
        }
        dir = up;
    }
}

const withoutExtension = (file: string): string => file.replace(/\.(ts|js)$/, "");

/**
 * True when the project in `workDir` runs this package's program: `Pulumi.yaml` `main` is this package's
 * `index.ts` (or its compiled `dist/index.js`). Pure but for reading `Pulumi.yaml`; false when it is missing.
 */
export function isOwnProgram(workDir: string, root: string = packageRoot()): boolean {
    const file = path.join(workDir, "Pulumi.yaml");
    if (!fs.existsSync(file)) {
        return false;
    }
    const project = parse(fs.readFileSync(file, "utf8")) as { main?: unknown } | null;
    if (typeof project?.main !== "string") {
        return false;
    }
    const main = withoutExtension(path.resolve(workDir, project.main));
    return main === path.join(root, "index") || main === path.join(root, "dist", "index");
}

/** The program source for a choice; see the file comment. */
export function programFor(choice: ProgramChoice, workDir: string): ProgramSource {
    // Loaded when an update runs it: the program (and the Kubernetes provider) stays out of every command that
    // only reads or checks config. Spread: an interface has no index signature, the Automation API wants a plain record.
    const inline: ProgramSource = {
        kind: "inline",
        program: async () => {
            const { meshProgram } = await import("../../stacks");
            return { ...(await meshProgram()) };
        },
    };
    switch (choice) {
        case "inline":
            return inline;
        case "local":
            return { kind: "local" };
        case "auto":
            return isOwnProgram(workDir) ? inline : { kind: "local" };
        default: {
            const never: never = choice;
            throw new Error(`unknown program choice ${String(never)}`);
        }
    }
}
