/**
 * ARCHITECTURE.md's folder table stays true: a row for every top-level folder (and none for a folder that
 * is gone), the `release/` and `importer/` rows name every file under their folder by its path, and their I/O
 * columns name exactly the files that do I/O themselves. "Does I/O" is read from the source: a value import of node:fs, http,
 * https, net, child_process or dgram, of `@pulumi/pulumi` or its Automation API, the global `fetch`, or
 * `process.kill`. Not proven: that each file's description is right, only that none is missing or stale.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const architecture = fs.readFileSync(path.join(ROOT, "ARCHITECTURE.md"), "utf8");

/** The folder table's rows: first cell (`name/` or `name.ts`) -> the other cells. */
function tableRows(md: string): Map<string, string[]> {
    const rows = new Map<string, string[]>();
    for (const line of md.split("\n")) {
        const m = /^\| `([^`]+)` \|(.*)\|\s*$/.exec(line);
        if (m !== null) {
            rows.set(m[1] ?? "", (m[2] ?? "").split(" | ").map((c) => c.trim()));
        }
    }
    return rows;
}

/** Every `…ts` path quoted in backticks in a text. */
const quotedTsPaths = (text: string): string[] => [...text.matchAll(/`([\w./-]+\.ts)`/g)].map((m) => m[1] ?? "");

/** Top-level folders of the project: not hidden, not ignored by git (.gitignore's folder lines). */
function topLevelFolders(): string[] {
    const ignored = fs
        .readFileSync(path.join(ROOT, ".gitignore"), "utf8")
        .split("\n")
        .map((l) => l.trim().replace(/^\//, "").replace(/\/$/, ""))
        .filter((l) => l !== "" && !l.includes("*"));
    return fs
        .readdirSync(ROOT, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !d.name.startsWith(".") && !ignored.includes(d.name))
        .map((d) => d.name)
        .sort();
}

/** Paths of the .ts files under `dir`, relative to it, sorted. */
function tsFilesUnder(dir: string): string[] {
    return (fs.readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[])
        .filter((f) => f.endsWith(".ts"))
        .map((f) => f.split(path.sep).join("/"))
        .sort();
}

const IO_IMPORT = /from\s+"(node:(fs|http|https|net|child_process|dgram)|@pulumi\/pulumi(\/automation)?)"/;
const IO_CALL = /\?\?\s*fetch\b|[^.\w]fetch\(|\bprocess\.kill\(/;

/** Whether a source file does I/O itself (type-only imports and comments do not count). */
function doesIo(source: string): boolean {
    const code = source
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "")
        .replace(/import\s+type\s[^;]*;/g, "");
    return IO_IMPORT.test(code) || IO_CALL.test(code);
}

describe("ARCHITECTURE.md names what is there", () => {
    const rows = tableRows(architecture);

    it("a row for every top-level folder, and no row for a folder that does not exist", () => {
        const folders = topLevelFolders();
        expect(folders, "the project's folders were found").to.include.members(["components", "release", "stacks", "test"]);
        // `test/unit/` and `test/e2e/` rows name `test`.
        const named = [...new Set([...rows.keys()].filter((k) => k.endsWith("/")).map((k) => k.split("/")[0] ?? ""))];
        expect(folders.filter((f) => !named.includes(f)), "folders without a row in ARCHITECTURE.md's table").to.deep.equal([]);
        expect(named.filter((f) => !folders.includes(f)), "rows for folders that do not exist").to.deep.equal([]);
    });

    /** A folder whose row names each of its files by its path, and in its I/O column exactly those that do I/O. */
    const fileByFileRow = (folder: string, opts: { minFiles: number; someIo: string[] }): void => {
        describe(`the ${folder}/ row`, () => {
            const row = rows.get(`${folder}/`);
            const files = tsFilesUnder(path.join(ROOT, folder));

            it(`names every file under ${folder}/ by its path`, () => {
                expect(row, `ARCHITECTURE.md has a \`${folder}/\` row`).to.not.equal(undefined);
                const what = row?.[0] ?? "";
                expect(files.length).to.be.greaterThan(opts.minFiles);
                expect(files.filter((f) => !what.includes(`\`${f}\``)), "files the row does not name").to.deep.equal([]);
            });

            it(`names no file that does not exist (under ${folder}/ or from the repository root)`, () => {
                const stale = quotedTsPaths(row?.[0] ?? "").filter((p) => !fs.existsSync(path.join(ROOT, folder, p)) && !fs.existsSync(path.join(ROOT, p)));
                expect(stale).to.deep.equal([]);
            });

            it("its I/O column names exactly the files that do I/O", () => {
                const io = files.filter((f) => doesIo(fs.readFileSync(path.join(ROOT, folder, f), "utf8")));
                expect(io, `some ${folder}/ files do I/O`).to.include.members(opts.someIo);
                const listed = quotedTsPaths(row?.[1] ?? "").filter((p) => !p.startsWith("test/"));
                expect([...listed].sort(), "the I/O column").to.deep.equal(io);
            });
        });
    };
    fileByFileRow("release", { minFiles: 20, someIo: ["metrics/prometheus.ts", "driver/pulumiStack.ts"] });
    fileByFileRow("importer", { minFiles: 4, someIo: ["files.ts"] });

    describe("doesIo (what the I/O check counts)", () => {
        const table: Array<[string, string, boolean]> = [
            ["a node:fs import", 'import * as fs from "node:fs";', true],
            ["the Automation API, multi-line import", 'import {\n  LocalWorkspace,\n} from "@pulumi/pulumi/automation";', true],
            ["the global fetch as a default", "const f = opts.fetch ?? fetch;", true],
            ["a fetch call", "await fetch(url)", true],
            ["a pid probe", "process.kill(pid, 0);", true],
            ["a type-only import of the Automation API", 'import type { OpMap } from "@pulumi/pulumi/automation";', false],
            ["node:path only", 'import * as path from "node:path";', false],
            ["fetch in a comment", "/** Node's fetch */\n// fetch(x)\nconst a = 1;", false],
            ["a method named fetch", "this.fetchFn(x); deps.fetch(x)", false],
        ];
        for (const [what, source, expected] of table) {
            it(`${what}: ${expected ? "I/O" : "no I/O"}`, () => {
                expect(doesIo(source)).to.equal(expected);
            });
        }
    });
});
