/**
 * ARCHITECTURE.md's folder tables stay true: the "Folders" table has a row for every top-level folder (and none
 * for a folder that is gone); the sections of `components/`, `contract/`, `stacks/`, `release/`, `importer/` and
 * `sim/` name every file under their folder by its path, and none that is gone; where a section's table has an I/O
 * column, the rows whose I/O cell is not "none" name exactly the files that do I/O themselves. "Does I/O" is read
 * from the source: a value import of node:fs, http, https, net, child_process or dgram, of `@pulumi/pulumi` or
 * its Automation API, of `@kubernetes/client-node` (also a lazy `import()`), the global `fetch`, or
 * `process.kill`. Not proven: that each file's description is right, only that none is missing or stale.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const architecture = fs.readFileSync(path.join(ROOT, "ARCHITECTURE.md"), "utf8");

/** A table row: its cells (split at " | ") and the heading it stands under. */
interface Row {
    cells: string[];
    heading: string;
}

/** Every table row of a Markdown text but header and separator rows, with the heading above it. */
function tableRows(md: string): Row[] {
    const rows: Row[] = [];
    let heading = "";
    let header = true;
    for (const line of md.split("\n")) {
        if (/^#{1,6} /.test(line)) {
            heading = line.replace(/^#+ /, "").trim();
        }
        if (!line.startsWith("|")) {
            header = true;
            continue;
        }
        if (/^\|[-| :]+\|\s*$/.test(line)) {
            header = false;
            continue;
        }
        if (header) {
            continue; // the header row, before the separator
        }
        rows.push({ cells: line.replace(/^\|\s*/, "").replace(/\s*\|\s*$/, "").split(" | ").map((c) => c.trim()), heading });
    }
    return rows;
}

/** The backticked names in a cell: `machine.ts`, `sequential/mixture.ts`, `release/`. */
const quotedNames = (cell: string): string[] => [...cell.matchAll(/`([\w./-]+)`/g)].map((m) => m[1] ?? "");


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

const IO_IMPORT = /(from\s+|import\()"(node:(fs|http|https|net|child_process|dgram)|@pulumi\/pulumi(\/automation)?|@kubernetes\/client-node)"/;
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

    it("a row for every top-level folder in the Folders table, and no row for a folder that does not exist", () => {
        const folders = topLevelFolders();
        expect(folders, "the project's folders were found").to.include.members(["components", "release", "stacks", "test"]);
        // `test/unit/` and `test/e2e/` rows name `test`.
        const keys = rows.filter((r) => r.heading === "Folders").map((r) => quotedNames(r.cells[0] ?? "")[0] ?? "");
        const named = [...new Set(keys.filter((k) => k.endsWith("/")).map((k) => k.split("/")[0] ?? ""))];
        expect(folders.filter((f) => !named.includes(f)), "folders without a row in ARCHITECTURE.md's Folders table").to.deep.equal([]);
        expect(named.filter((f) => !folders.includes(f)), "rows for folders that do not exist").to.deep.equal([]);
        const files = keys.filter((k) => !k.endsWith("/"));
        expect(files.filter((f) => !fs.existsSync(path.join(ROOT, f))), "rows for files that do not exist").to.deep.equal([]);
    });

    /** A folder whose section names each of its files by its path, and (with `io`) in its I/O column exactly those that do I/O. */
    const fileByFileSection = (folder: string, opts: { minFiles: number; someIo?: string[]; heading?: string }): void => {
        describe(`the ${folder}/ section`, () => {
            // A section of its own names files relative to the folder; a shared one (`policy/, bin/, sim/`) from the root.
            const prefix = opts.heading === undefined ? "" : `${folder}/`;
            const section = rows.filter((r) => r.heading === (opts.heading ?? `${folder}/`));
            const files = tsFilesUnder(path.join(ROOT, folder));
            const named = section
                .flatMap((r) => quotedNames(r.cells[0] ?? ""))
                .filter((n) => n.startsWith(prefix))
                .map((n) => n.slice(prefix.length));

            it(`names every file under ${folder}/ by its path`, () => {
                expect(section.length, `ARCHITECTURE.md has a "### ${folder}/" section with a table`).to.be.greaterThan(0);
                expect(files.length).to.be.greaterThan(opts.minFiles);
                expect(files.filter((f) => !named.includes(f)), "files the section does not name").to.deep.equal([]);
            });

            it(`names no file that does not exist under ${folder}/`, () => {
                expect(named.filter((p) => !fs.existsSync(path.join(ROOT, folder, p)))).to.deep.equal([]);
            });

            if (opts.someIo !== undefined) {
                const someIo = opts.someIo;
                it("its I/O column names exactly the files that do I/O", () => {
                    const io = files.filter((f) => doesIo(fs.readFileSync(path.join(ROOT, folder, f), "utf8")));
                    expect(io, `some ${folder}/ files do I/O`).to.include.members(someIo);
                    const listed = section
                        .filter((r) => r.cells.length >= 3 && !/^none\b/.test(r.cells[2] ?? ""))
                        .flatMap((r) => quotedNames(r.cells[0] ?? ""))
                        .map((n) => n.slice(prefix.length));
                    expect([...new Set(listed)].sort(), "files in rows whose I/O cell is not none").to.deep.equal(io);
                });
            }
        });
    };
    fileByFileSection("release", { minFiles: 20, someIo: ["metrics/prometheus.ts", "driver/pulumiStack.ts", "driver/kubeLive.ts"] });
    fileByFileSection("importer", { minFiles: 4, someIo: ["files.ts"] });
    fileByFileSection("stacks", { minFiles: 5, someIo: ["index.ts", "readConfig.ts", "meshStack.ts"] });
    fileByFileSection("components", { minFiles: 10, someIo: ["canary.ts"] });
    fileByFileSection("contract", { minFiles: 5 });
    fileByFileSection("sim", { minFiles: 5, heading: "policy/, bin/, sim/" });

    it("the Folders table's I/O cell of stacks/ names the files its section says do I/O", () => {
        const cell = rows.find((r) => r.heading === "Folders" && r.cells[0] === "`stacks/`")?.cells[2] ?? "";
        const io = tsFilesUnder(path.join(ROOT, "stacks")).filter((f) => doesIo(fs.readFileSync(path.join(ROOT, "stacks", f), "utf8")));
        expect(quotedNames(cell).sort()).to.deep.equal(io);
    });

    describe("doesIo (what the I/O check counts)", () => {
        const table: Array<[string, string, boolean]> = [
            ["a node:fs import", 'import * as fs from "node:fs";', true],
            ["the Automation API, multi-line import", 'import {\n  LocalWorkspace,\n} from "@pulumi/pulumi/automation";', true],
            ["the global fetch as a default", "const f = opts.fetch ?? fetch;", true],
            ["a fetch call", "await fetch(url)", true],
            ["a pid probe", "process.kill(pid, 0);", true],
            ["the Kubernetes client, loaded lazily", 'const k8s = await import("@kubernetes/client-node");', true],
            ["a type-only import of the Kubernetes client", 'import type * as k8s from "@kubernetes/client-node";', false],
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
