/**
 * The docs a person reads stay readable and point at what is there (issue 18, item 4):
 * - no table cell of ARCHITECTURE.md over 600 characters, no paragraph or list item of README.md, ARCHITECTURE.md,
 *   docs/config-contract.md or docs/toolchain.md over 500;
 * - every relative link of README.md, ARCHITECTURE.md, BENCHMARKS.md and docs/*.md resolves, its #anchor included;
 * - every `npm run X` they name is a script of package.json;
 * - every repository path they quote (`scripts/e2e.sh`, `release/driver/lease.ts`) exists;
 * - the stack files' header comments and the product's source comments name no path outside the repository;
 * - the README's `npm run test:unit` row names Go exactly when the unit suite's support runs Go.
 * Not proven: that the prose around a path or command is right, only that what it names is there.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), "utf8");

/** The docs checked: README, ARCHITECTURE, BENCHMARKS and docs/*.md (docs/api/ is typedoc's output). */
const DOCS = ["README.md", "ARCHITECTURE.md", "BENCHMARKS.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** The lines of a Markdown text outside fenced code blocks and HTML comments, with their line numbers. */
function proseLines(md: string): Array<{ n: number; line: string }> {
    const out: Array<{ n: number; line: string }> = [];
    let fenced = false;
    let comment = false;
    md.split("\n").forEach((line, i) => {
        if (line.trimStart().startsWith("```")) {
            fenced = !fenced;
            return;
        }
        if (line.includes("<!--")) {
            comment = !line.includes("-->");
            return;
        }
        if (comment) {
            comment = !line.includes("-->");
            return;
        }
        if (!fenced) {
            out.push({ n: i + 1, line });
        }
    });
    return out;
}

const LIST_ITEM = /^\s*([-*]|\d+\.) /;

/** Paragraphs and list items (a list item with its continuation lines), outside code, tables and headings. */
export function blocks(md: string): Array<{ n: number; text: string }> {
    const out: Array<{ n: number; text: string }> = [];
    let cur: { n: number; lines: string[] } | undefined;
    const flush = (): void => {
        if (cur !== undefined) {
            out.push({ n: cur.n, text: cur.lines.map((l) => l.trim()).join(" ") });
        }
        cur = undefined;
    };
    for (const { n, line } of proseLines(md)) {
        if (line.trim() === "" || line.startsWith("|") || line.startsWith("#")) {
            flush();
            continue;
        }
        if (LIST_ITEM.test(line)) {
            flush();
        }
        cur ??= { n, lines: [] };
        cur.lines.push(line);
    }
    flush();
    return out;
}

/** The cells of every table row (header rows included, separator rows not), outside code. */
export function tableCells(md: string): Array<{ n: number; cell: string }> {
    return proseLines(md)
        .filter(({ line }) => line.startsWith("|") && !/^\|[-| :]+\|\s*$/.test(line))
        .flatMap(({ n, line }) =>
            line
                .replace(/^\|/, "")
                .replace(/\|\s*$/, "")
                .split(" | ")
                .map((cell) => ({ n, cell: cell.trim() })),
        );
}

/** GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
export function anchorOf(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, "")
        .replace(/ /g, "-");
}

/** Every relative link target of a Markdown text (`[text](target)`), outside code. */
function relativeLinks(md: string): Array<{ n: number; target: string }> {
    return proseLines(md).flatMap(({ n, line }) =>
        [...line.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)]
            .map((m) => m[1] ?? "")
            .filter((t) => !/^[a-z]+:/i.test(t))
            .map((target) => ({ n, target })),
    );
}

/** The top-level entries of the repository a quoted path may start with. */
const TOP = new Set(fs.readdirSync(ROOT).filter((e) => !e.startsWith(".") && e !== "node_modules" && e !== "dist"));

/** Backticked repository paths of a text: `scripts/e2e.sh`, `release/driver/`, no placeholders or globs. */
export function quotedRepoPaths(text: string): string[] {
    return [...text.matchAll(/`([^`\s]+)`/g)]
        .map((m) => (m[1] ?? "").replace(/[.,:;]$/, ""))
        .filter((p) => p.includes("/") && TOP.has(p.split("/")[0] ?? "") && !/[<>*{}$…]|\.\.\./.test(p) && !p.startsWith("mesh-traffic/"));
}

/** Whether a quoted repository path is there: the file or folder, or a module path without its `.ts`. */
const pathExists = (p: string): boolean => [p, `${p}.ts`].some((c) => fs.existsSync(path.join(ROOT, c)));

describe("the docs are readable and point at what is there", () => {
    describe("lengths", () => {
        it("no table cell of ARCHITECTURE.md is over 600 characters", () => {
            const long = tableCells(read("ARCHITECTURE.md")).filter((c) => c.cell.length > 600);
            expect(long.map((c) => `line ${c.n}: ${c.cell.length} characters`)).to.deep.equal([]);
        });

        for (const file of ["README.md", "ARCHITECTURE.md", "docs/config-contract.md", "docs/toolchain.md"]) {
            it(`no paragraph or list item of ${file} is over 500 characters`, () => {
                const long = blocks(read(file)).filter((b) => b.text.length > 500);
                expect(long.map((b) => `line ${b.n}: ${b.text.length} characters: ${b.text.slice(0, 60)}...`)).to.deep.equal([]);
            });
        }

        it("blocks and tableCells split as a reader does (what the limits measure)", () => {
            const md = "# T\n\nfirst line\nsecond line\n\n- item one\n  continued\n- item two\n\n```bash\nnot prose\n```\n| a | b |\n|---|---|\n| c `x|y` | d |\n";
            expect(blocks(md).map((b) => b.text)).to.deep.equal(["first line second line", "- item one continued", "- item two"]);
            expect(tableCells(md).map((c) => c.cell)).to.deep.equal(["a", "b", "c `x|y`", "d"]);
        });
    });

    describe("links", () => {
        for (const doc of DOCS) {
            it(`every relative link of ${doc} resolves, its #anchor included`, () => {
                const broken: string[] = [];
                for (const { n, target } of relativeLinks(read(doc))) {
                    const [file = "", anchor] = target.split("#");
                    const resolved = file === "" ? doc : path.posix.normalize(path.posix.join(path.posix.dirname(doc), file));
                    if (resolved.startsWith("..") || !fs.existsSync(path.join(ROOT, resolved))) {
                        broken.push(`line ${n}: ${target} (no file ${resolved})`);
                        continue;
                    }
                    if (anchor !== undefined && anchor !== "" && resolved.endsWith(".md")) {
                        const anchors = proseLines(read(resolved))
                            .filter(({ line }) => /^#{1,6} /.test(line))
                            .map(({ line }) => anchorOf(line.replace(/^#+ /, "")));
                        if (!anchors.includes(anchor)) {
                            broken.push(`line ${n}: ${target} (no heading #${anchor} in ${resolved})`);
                        }
                    }
                }
                expect(broken).to.deep.equal([]);
            });
        }

        it("anchorOf gives GitHub's anchors", () => {
            expect(anchorOf("Stack layouts: single or per-service")).to.equal("stack-layouts-single-or-per-service");
            expect(anchorOf("General routing: Istio's own objects")).to.equal("general-routing-istios-own-objects");
            expect(anchorOf("Approval gates (`release.gates`)")).to.equal("approval-gates-releasegates");
        });
    });

    describe("names", () => {
        const scripts = Object.keys((JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts);

        for (const doc of DOCS) {
            it(`every npm run script ${doc} names is in package.json`, () => {
                const named = [...read(doc).matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1] ?? "");
                expect(named.filter((s) => !scripts.includes(s))).to.deep.equal([]);
            });

            it(`every repository path ${doc} quotes exists`, () => {
                const missing = proseLines(read(doc)).flatMap(({ n, line }) => quotedRepoPaths(line).filter((p) => !pathExists(p)).map((p) => `line ${n}: ${p}`));
                expect(missing).to.deep.equal([]);
            });
        }

        it("quotedRepoPaths takes repository paths only", () => {
            expect(quotedRepoPaths("`scripts/e2e.sh` `stacks/` `Pulumi.<stack>.yaml` `test/unit/**/*.ts` `services.<svc>` `istio.io/api` `a/b`")).to.deep.equal([
                "scripts/e2e.sh",
                "stacks/",
            ]);
        });

        it("the stack files' header comments name no path outside the repository, and every repository path in them exists", () => {
            const bad: string[] = [];
            for (const file of fs.readdirSync(ROOT).filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
                for (const line of read(file).split("\n").filter((l) => l.trimStart().startsWith("#"))) {
                    for (const m of line.matchAll(/(?:^|[\s(`])((?:\.\.|~)?\/?[\w.-]+(?:\/[\w.-]+)+)/g)) {
                        const p = m[1] ?? "";
                        if (p.startsWith("/") || p.startsWith("..") || p.startsWith("~")) {
                            bad.push(`${file}: ${p} is outside the repository`);
                        } else if (TOP.has(p.split("/")[0] ?? "") && !pathExists(p)) {
                            bad.push(`${file}: ${p} does not exist`);
                        }
                    }
                }
            }
            expect(bad).to.deep.equal([]);
        });

        it("the product's source comments name no path outside the repository (a ../ path resolves inside it)", () => {
            const bad: string[] = [];
            const dirs = ["components", "contract", "stacks", "release", "importer", "bin", "policy", "sim"];
            const files = [
                "index.ts",
                "api.ts",
                ...dirs.flatMap((d) =>
                    (fs.readdirSync(path.join(ROOT, d), { recursive: true, encoding: "utf8" }) as string[]).filter((f) => f.endsWith(".ts")).map((f) => `${d}/${f.split(path.sep).join("/")}`),
                ),
            ];
            for (const file of files) {
                const comments = (read(file).match(/\/\*[\s\S]*?\*\/|\/\/.*$/gm) ?? []).join("\n");
                for (const m of comments.matchAll(/(?:^|[\s(`])((?:\.\.\/)+[\w./-]+|\/work\/[\w./-]*)/g)) {
                    const p = m[1] ?? "";
                    const resolved = path.resolve(ROOT, path.dirname(file), p);
                    if (p.startsWith("/") || !resolved.startsWith(ROOT + path.sep) || ![resolved, `${resolved}.ts`].some((c) => fs.existsSync(c))) {
                        bad.push(`${file}: ${p}`);
                    }
                }
            }
            expect(bad).to.deep.equal([]);
        });
    });

    describe("facts", () => {
        it("the README's `npm run test:unit` row names Go exactly when the unit suite's support runs Go", () => {
            const support = fs.readdirSync(path.join(ROOT, "test", "support")).filter((f) => f.endsWith(".ts"));
            // Support modules that run Go, directly or through another support module they import.
            const runsGo = new Set(support.filter((f) => /execFileSync\("go"|istio-crds\.sh|gateway-api-crds\.sh/.test(read(`test/support/${f}`))));
            for (let grew = true; grew; ) {
                grew = false;
                for (const f of support.filter((s) => !runsGo.has(s))) {
                    if ([...runsGo].some((g) => read(`test/support/${f}`).includes(`"./${g.replace(/\.ts$/, "")}"`))) {
                        runsGo.add(f);
                        grew = true;
                    }
                }
            }
            const unit = (fs.readdirSync(path.join(ROOT, "test", "unit"), { recursive: true, encoding: "utf8" }) as string[]).filter((f) => f.endsWith(".ts"));
            const imported = [...runsGo].filter((s) => unit.some((u) => read(`test/unit/${u}`).includes(`support/${s.replace(/\.ts$/, "")}"`)));
            const row = read("README.md")
                .split("\n")
                .find((l) => l.startsWith("| `npm run test:unit` |"));
            expect(row, "the README has a `npm run test:unit` row").to.not.equal(undefined);
            expect(/\bGo\b/.test(row ?? ""), `support modules the unit suite imports that run Go: ${imported.join(", ") || "none"}; the row: ${row}`).to.equal(imported.length > 0);
        });
    });
});
