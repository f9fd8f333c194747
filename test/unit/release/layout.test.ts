/**
 * release/'s layout holds (issue 18 part 4): every file lives in a sub-folder of release/ (core/, rollout/,
 * orchestration/, driver/, metrics/, sequential/, webhooks/, env/, cli/, reporters/, report/), none at its top;
 * every file is under MAX_LINES lines but the listed exceptions, each under its own cap; the parts of the
 * rollout orchestrator (rollout/) and of the command line (cli/) are under PART_MAX_LINES each. Not proven: that
 * a file is cohesive, only that none grows past its limit unnoticed.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";

const RELEASE = path.resolve(__dirname, "../../../release");
/** Any file under release/. */
const MAX_LINES = 500;
/** A part of rollout/ or cli/, split to stay readable in one sitting. */
const PART_MAX_LINES = 400;
/** Files allowed past MAX_LINES, each with its cap and why it is one file. A file back under MAX_LINES leaves the list. */
const EXCEPTIONS: Readonly<Record<string, { max: number; reason: string }>> = {
    "core/machine.ts": { max: 550, reason: "the pure state machine: one transition table read top to bottom, table-tested as one" },
    "driver/pulumiStack.ts": { max: 700, reason: "the one Automation API driver: workspace, config write, up, preview --save-plan, gate tag, cancel" },
};
const SUB_FOLDERS = ["cli", "core", "driver", "env", "metrics", "orchestration", "report", "reporters", "rollout", "sequential", "webhooks"];

/** Paths of the .ts files under release/, relative to it, sorted. */
function releaseFiles(): string[] {
    return (fs.readdirSync(RELEASE, { recursive: true, encoding: "utf8" }) as string[])
        .filter((f) => f.endsWith(".ts"))
        .map((f) => f.split(path.sep).join("/"))
        .sort();
}

/** Lines of a file as `wc -l` counts them (a final newline ends the last line, it does not start another). */
function lineCount(text: string): number {
    if (text === "") return 0;
    return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

describe("release/ layout and file sizes", () => {
    const files = releaseFiles();
    const lines = new Map(files.map((f) => [f, lineCount(fs.readFileSync(path.join(RELEASE, f), "utf8"))]));

    it("lineCount counts as wc -l does", () => {
        expect([lineCount(""), lineCount("a"), lineCount("a\n"), lineCount("a\nb\n"), lineCount("a\n\nb")]).to.deep.equal([0, 1, 1, 2, 3]);
    });

    it("every file is in one of release/'s sub-folders, none at its top", () => {
        expect(files.length, "the walk found release/'s files").to.be.greaterThan(60);
        expect(files.filter((f) => !f.includes("/")), "files directly under release/").to.deep.equal([]);
        expect([...new Set(files.map((f) => f.split("/")[0] ?? ""))].sort()).to.deep.equal(SUB_FOLDERS);
    });

    it(`every file is under ${MAX_LINES} lines, but the listed exceptions, each under its own cap`, () => {
        const over = files.filter((f) => (lines.get(f) ?? 0) >= (EXCEPTIONS[f]?.max ?? MAX_LINES)).map((f) => `${f}: ${lines.get(f)} lines`);
        expect(over, "files at or past their limit: split them by what they do").to.deep.equal([]);
    });

    it("each exception exists, is still past the general limit, and says why", () => {
        for (const [file, { max, reason }] of Object.entries(EXCEPTIONS)) {
            expect(files, file).to.include(file);
            expect(lines.get(file), `${file} is back under ${MAX_LINES} lines: remove it from EXCEPTIONS`).to.be.at.least(MAX_LINES);
            expect(max).to.be.greaterThan(MAX_LINES);
            expect(reason.length, `${file} needs a reason`).to.be.greaterThan(20);
        }
    });

    it(`the parts of rollout/ and cli/ are under ${PART_MAX_LINES} lines each`, () => {
        const parts = files.filter((f) => f.startsWith("rollout/") || f.startsWith("cli/"));
        expect(parts, "the rollout orchestrator and the command line are split in parts").to.include.members(["rollout/index.ts", "rollout/types.ts", "cli/index.ts", "cli/program.ts"]);
        expect(parts.length).to.be.at.least(10);
        const over = parts.filter((f) => (lines.get(f) ?? 0) >= PART_MAX_LINES).map((f) => `${f}: ${lines.get(f)} lines`);
        expect(over).to.deep.equal([]);
    });
});
