/**
 * The program's digest an approval binds (release/core/gate.ts): sha256 over the program's source files, each by its
 * path and content, so an approved plan is refused when the program changed between its preview and its update.
 *
 * - This package's program run inline (release/driver/program.ts): `index.ts`, `stacks/`, `components/`,
 *   `contract/` (or the same under `dist/` in an installed package), `package.json` and `package-lock.json` (the
 *   provider and SDK versions), plus the inline function's own text (a caller's inline program).
 * - The project's own program (`--program local`): every file of the project directory but `node_modules/`,
 *   dot-directories (`.git`, `.mesh-release`, ...) and the stacks' `Pulumi.<stack>.yaml` (config is digested apart).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { packageRoot } from "./program";
import type { ProgramSource } from "./pulumiStack";

/** Files under `root`, relative paths, sorted; `entries` limits the walk to those top-level names when given. */
export function filesUnder(root: string, skip: (rel: string, isDir: boolean) => boolean, entries?: readonly string[]): string[] {
    const out: string[] = [];
    const walk = (rel: string): void => {
        const abs = path.join(root, rel);
        let stat: fs.Stats;
        try {
            stat = fs.statSync(abs);
        } catch {
            return; // absent (an optional entry such as package-lock.json)
        }
        if (stat.isDirectory()) {
            if (rel !== "" && skip(rel, true)) {
                return;
            }
            for (const name of fs.readdirSync(abs).sort()) {
                walk(rel === "" ? name : path.join(rel, name));
            }
        } else if (stat.isFile() && !skip(rel, false)) {
            out.push(rel.split(path.sep).join("/"));
        }
    };
    if (entries !== undefined) {
        entries.forEach(walk);
    } else {
        walk("");
    }
    return out.sort();
}

/** sha256 over each file's path and content, and `extra`. */
export function digestFiles(root: string, files: readonly string[], extra = ""): string {
    const hash = createHash("sha256");
    for (const rel of files) {
        // latin1: one character per byte, so the hash is over the file's bytes
        const content = fs.readFileSync(path.join(root, rel)).toString("latin1");
        hash.update(`${rel}\0${content.length}\0`).update(content, "latin1").update("\0");
    }
    hash.update(extra);
    return `sha256:${hash.digest("hex")}`;
}

const SKIP_LOCAL = (rel: string, isDir: boolean): boolean => {
    const base = path.basename(rel);
    return isDir ? base === "node_modules" || base.startsWith(".") : /^Pulumi\.[^/]+\.ya?ml$/.test(base) && !rel.includes(path.sep);
};

/** The digest of the program an update of `workDir` runs. */
export function programDigest(source: ProgramSource, workDir: string): string {
    if (source.kind === "local") {
        return digestFiles(workDir, filesUnder(workDir, SKIP_LOCAL));
    }
    const root = packageRoot();
    const fromSource = __filename.endsWith(".ts");
    const base = fromSource ? ["index.ts", "stacks", "components", "contract"] : ["dist/index.js", "dist/stacks", "dist/components", "dist/contract"];
    const files = filesUnder(root, (rel, isDir) => isDir && path.basename(rel) === "node_modules", [...base, "package.json", "package-lock.json"]);
    return digestFiles(root, files, source.program.toString());
}
