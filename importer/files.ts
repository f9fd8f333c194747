/**
 * The importer's one I/O edge: the input files (stdin comes from the caller), the stack's settings file and its
 * atomic replacement (release/driver/stackFile.ts `replaceFile`), a platform stack's service stacks' files. Everything else in importer/ is pure.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { shortStackName } from "../contract/project";
import { replaceFile } from "../release/driver/stackFile";
import { stackConfigOfFile } from "../release/env/check";
import { serviceStacksOf } from "../release/env/plan";
import { projectStackDir, readStackFiles } from "../release/env/target";
import type { StackConfigInput } from "../stacks/environment";
import type { SourceText } from "./parse";
import type { ImportProblem } from "./problems";

/** How stdin is shown in messages. */
export const STDIN_NAME = "<stdin>";

/** The texts of `files` (`-` is stdin, read once), or a problem for each that cannot be read. */
export async function readSources(files: readonly string[], cwd: string, readStdin: () => Promise<string>): Promise<{ sources: SourceText[]; problems: ImportProblem[] }> {
    const sources: SourceText[] = [];
    const problems: ImportProblem[] = [];
    for (const file of files) {
        if (file === "-") {
            try {
                sources.push({ file: STDIN_NAME, text: await readStdin() });
            } catch (e) {
                problems.push({ what: `standard input cannot be read (${e instanceof Error ? e.message : String(e)})`, fix: "give the YAML as a file instead of -" });
            }
            continue;
        }
        const abs = path.resolve(cwd, file);
        try {
            if (fs.statSync(abs).isDirectory()) {
                problems.push({ what: `${file} is a directory`, fix: `give its YAML files, e.g. ${path.join(file, "*.yaml")}` });
                continue;
            }
            sources.push({ file, text: fs.readFileSync(abs, "utf8") });
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            problems.push({
                what: `${file} cannot be read (${code === "ENOENT" ? `${abs} does not exist` : (code ?? String(e))})`,
                fix: "give the path of an Istio YAML file, or - for standard input",
            });
        }
    }
    return { sources, problems };
}

/** `Pulumi.<stack>.yaml` of the project (in its `stackConfigDir` when it sets one): its path and text, or why not. */
export function readStackFile(workDir: string, stack: string): { file: string; text: string } | { problem: ImportProblem } {
    const file = path.join(projectStackDir(workDir), `Pulumi.${shortStackName(stack)}.yaml`);
    try {
        return { file, text: fs.readFileSync(file, "utf8") };
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        return {
            problem: {
                what: `stack ${stack}'s settings file ${file} cannot be read (${code === "ENOENT" ? "it does not exist" : (code ?? String(e))})`,
                fix: `run in the Pulumi project's directory (or --cwd <dir>), create the stack first (pulumi stack init ${stack}), or leave --stack out and paste the printed fragment`,
            },
        };
    }
}

/** The configs of platform stack `env`'s service stacks in the project directory, as the program reads them. */
export function readServiceStacks(workDir: string, env: string): StackConfigInput[] {
    return serviceStacksOf(env, readStackFiles(workDir)).map((f) => stackConfigOfFile(workDir, f.name));
}

/** Replaces the stack's settings file with `text` (atomically). */
export const writeStackFile = (file: string, text: string): void => replaceFile(file, text);
