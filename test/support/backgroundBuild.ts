/**
 * Tools scripts/e2e.sh builds in the background on a cold machine (pilot-discovery, pulumi-language-yaml): the rc file
 * appears with the build's exit code when it ends, and the first test that needs the tool waits for it here.
 */
import * as fs from "node:fs";

/** The last lines of a build log, for an error message ("" when there is none). */
export function logTail(file: string | undefined, lines = 25): string {
    if (file === undefined || file === "" || !fs.existsSync(file)) return "";
    const all = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    return `\nLast lines of ${file}:\n${all.slice(-lines).map((l) => `    ${l}`).join("\n")}`;
}

/** A background build: its rc file, its log, how long to wait, and the command that builds the tool by hand. */
export interface BackgroundBuild {
    tool: string;
    rcFile: string | undefined;
    log: string | undefined;
    waitMs: number;
    buildCommand: string;
}

/** Waits for a background build to end (nothing to wait for without an rc file); throws, with the log, unless it succeeded. */
export async function awaitBackgroundBuild(b: BackgroundBuild): Promise<void> {
    if (b.rcFile === undefined || b.rcFile === "") return;
    const deadline = Date.now() + b.waitMs;
    while (!fs.existsSync(b.rcFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2000));
    if (!fs.existsSync(b.rcFile)) {
        throw new Error(`${b.tool} is still building in the background after ${Math.round(b.waitMs / 1000)} s. ` +
            `Build it first with \`${b.buildCommand}\`, then rerun the e2e tests.${logTail(b.log)}`);
    }
    const rc = fs.readFileSync(b.rcFile, "utf8").trim();
    if (rc !== "0") throw new Error(`the background ${b.tool} build failed (exit ${rc}); rerun it with \`${b.buildCommand}\`.${logTail(b.log)}`);
}
