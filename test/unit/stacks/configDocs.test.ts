/**
 * The config reference stays true: docs/config.md is exactly what scripts/config-docs.ts generates from the
 * zod schema, every documented path has a description, and Pulumi.yaml declares every top-level key with the
 * schema's type, description and default. Pure apart from reading the two files and a temp dir for `--check`.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import {
    configRows,
    DOCS_FILE,
    main,
    REGENERATE_COMMAND,
    renderConfigDocs,
    stackConfigJsonSchema,
    typeOf,
    undocumentedPaths,
    type ConfigRow,
} from "../../../scripts/config-docs";
import { allowedKeysAt } from "../../../contract/problems";
import { STACK_CONFIG_KEYS, stackConfigSchema } from "../../../contract/schema";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), "utf8");

/** The table rows of a generated docs/config.md: path, type, default, description (cells unescaped). */
function docRows(markdown: string): ConfigRow[] {
    return markdown
        .split("\n")
        .filter((line) => line.startsWith("| `"))
        .map((line) => {
            const cells = line
                .slice(2, -2)
                .split(/ (?<!\\)\| /)
                .map((c) => c.replace(/\\\|/g, "|").trim());
            expect(cells, line).to.have.length(4);
            const [p, type, dflt, description] = cells as [string, string, string, string];
            return { path: p.replace(/^`|`$/g, ""), type, default: dflt, description };
        });
}

/** `services.<svc>.pins[].header` -> ["services", "<svc>", "pins", 0, "header"], as allowedKeysAt walks it. */
const segments = (p: string): PropertyKey[] =>
    p.split(".").flatMap((part) => {
        const [name = "", ...brackets] = part.split("[]");
        return [name, ...brackets.map(() => 0)];
    });

interface PulumiConfigDecl {
    type?: unknown;
    description?: unknown;
    default?: unknown;
    items?: { type?: unknown };
}

describe("config docs (docs/config.md, Pulumi.yaml, scripts/config-docs.ts)", () => {
    const generated = renderConfigDocs();
    const rows = configRows().flatMap((g) => g.rows);

    it(`${DOCS_FILE} equals the text scripts/config-docs.ts generates from the schema`, () => {
        const current = fs.existsSync(path.join(ROOT, DOCS_FILE)) ? read(DOCS_FILE) : "";
        if (current !== generated) {
            const a = current.split("\n");
            const b = generated.split("\n");
            const i = b.findIndex((line, n) => a[n] !== line);
            const at = i === -1 ? a.length : i;
            expect.fail(
                `${DOCS_FILE} is out of date with contract/schema.ts and contract/release.ts; regenerate it with: ` +
                    `${REGENERATE_COMMAND}\nfirst difference, line ${at + 1}:\n  file:      ${a[at] ?? "(end of file)"}\n` +
                    `  generated: ${b[at] ?? "(end of file)"}`,
            );
        }
    });

    it(`every path in ${DOCS_FILE} has a type and a non-empty description (a field without .meta({ description }) fails here)`, () => {
        const documented = docRows(read(DOCS_FILE));
        expect(documented.map((r) => r.path)).to.deep.equal(rows.map((r) => r.path));
        const missing = documented.filter((r) => r.description === "" || r.type === "").map((r) => r.path);
        expect(missing, `paths without a description; add .meta({ description: "..." }) to the field`).to.deep.equal([]);
        expect(undocumentedPaths(), "the schema itself has fields without a description").to.deep.equal([]);
    });

    it("undocumentedPaths names a field without a description, at its config path", () => {
        const schema = z.strictObject({
            a: z.strictObject({ b: z.number().meta({ description: "B." }), c: z.string().optional() }).meta({ description: "A." }),
        });
        expect(undocumentedPaths(z.toJSONSchema(schema, { io: "input" }))).to.deep.equal(["a.c"]);
    });

    it("documents every key the schema allows, at every depth (checked against the did-you-mean key walk)", () => {
        const paths = new Set(rows.map((r) => r.path));
        const missing: string[] = [];
        for (const p of paths) {
            // An Istio spec (routing.<kind>.<name>) is one row linking Istio's reference, not its hundreds of fields.
            if (/^routing\.\w+\.<name>$/.test(p)) continue;
            for (const key of allowedKeysAt(segments(p))) {
                if (!paths.has(`${p}.${key}`)) missing.push(`${p}.${key}`);
            }
        }
        expect(missing).to.deep.equal([]);
        expect(configRows().map((g) => g.key)).to.deep.equal(STACK_CONFIG_KEYS);
    });

    it("the README states the number of documented paths as the generator counts them", () => {
        const readme = read("README.md");
        const stated = /Every nested key \((\d+) paths,/.exec(readme)?.[1];
        expect(Number(stated), "README.md: Every nested key (<N> paths, ...)").to.equal(rows.length);
    });

    it("renders type with range or enum values, and the default, for known paths", () => {
        const row = (p: string): Omit<ConfigRow, "description"> | undefined => {
            const r = rows.find((x) => x.path === p);
            return r === undefined ? undefined : { path: r.path, type: r.type, default: r.default };
        };
        expect(row("services.<svc>.canary.weight")).to.deep.equal({
            path: "services.<svc>.canary.weight",
            type: "integer 0..100",
            default: "`0`",
        });
        expect(row("services.<svc>.trafficPolicy.connectionPool.tcp.maxConnections")).to.deep.equal({
            path: "services.<svc>.trafficPolicy.connectionPool.tcp.maxConnections",
            type: "integer 1..2147483647",
            default: "-",
        });
        expect(row("services.<svc>.stable.version")?.default).to.equal("required");
        expect(row("release.analysis.successRate")).to.deep.equal({
            path: "release.analysis.successRate",
            type: "number 0..100",
            default: "`95`",
        });
        expect(row("release.analysis.latencyP95Ms")?.type).to.equal("number > 0");
        expect(row("release.analysis.reporter")?.type).to.equal("one of `source`, `destination`");
        expect(row("release.steps")).to.deep.equal({
            path: "release.steps",
            type: "array of integer 1..100 (at least 1 item)",
            default: "`[2,10,25,50,75,100]`",
        });
        expect(row("egress[].host")).to.deep.equal({ path: "egress[].host", type: "string (non-empty)", default: "required" });
        // zod drops the default of a transforming schema on the input side; the generator puts it back.
        expect(row("rollouts")?.default).to.equal("`{}`");
        expect(row("rollouts.<svc>.stepIndex")?.type).to.equal("integer >= -1");
    });

    it("refuses a JSON schema construct it cannot render, naming the keyword", () => {
        expect(() => typeOf({ anyOf: [{ type: "string" }, { type: "number" }] }, "x")).to.throw(
            'x: JSON schema keyword "anyOf" is not rendered by scripts/config-docs.ts',
        );
    });

    it("Pulumi.yaml config: declares exactly the top-level keys of stackConfigSchema, in schema order", () => {
        const project = parse(read("Pulumi.yaml")) as { config?: Record<string, PulumiConfigDecl> };
        expect(Object.keys(project.config ?? {})).to.deep.equal(STACK_CONFIG_KEYS);
    });

    it("each Pulumi.yaml declaration has the schema's type, its description, and its default", () => {
        const project = parse(read("Pulumi.yaml")) as { config: Record<string, PulumiConfigDecl> };
        const json = stackConfigJsonSchema().properties ?? {};
        for (const key of STACK_CONFIG_KEYS) {
            const decl = project.config[key];
            const prop = json[key];
            expect(decl, `Pulumi.yaml config.${key}`).to.be.an("object");
            expect(prop, key).to.be.an("object");
            if (decl === undefined || typeof prop !== "object") continue;
            const schemaDef = stackConfigSchema.shape[key]._zod.def as { type: string; defaultValue?: unknown };
            expect(["default", "prefault"], `stackConfigSchema.${key} has a default`).to.include(schemaDef.type);
            expect(decl.type, `Pulumi.yaml config.${key}.type`).to.equal(prop.type);
            expect(decl.description, `Pulumi.yaml config.${key}.description`).to.be.a("string").and.not.equal("");
            expect(decl.description, `Pulumi.yaml config.${key}.description equals the schema's`).to.equal(prop.description);
            expect(decl.default, `Pulumi.yaml config.${key}.default equals the schema's`).to.deep.equal(schemaDef.defaultValue);
            if (prop.type === "array") {
                const items = typeof prop.items === "object" && !Array.isArray(prop.items) ? prop.items.type : undefined;
                expect(decl.items?.type, `Pulumi.yaml config.${key}.items.type`).to.equal(items);
            }
        }
    });

    describe("scripts/config-docs.ts main", () => {
        let root: string;
        const run = (args: string[]): { code: number; out: string; err: string } => {
            let out = "";
            let err = "";
            const code = main(args, { root, out: (t) => (out += t), err: (t) => (err += t) });
            return { code, out, err };
        };
        beforeEach(() => {
            root = fs.mkdtempSync(path.join(os.tmpdir(), "config-docs-"));
        });
        afterEach(() => {
            fs.rmSync(root, { recursive: true, force: true });
        });

        it("--check exits 1 and names the command to run when the file is missing or out of date", () => {
            const missing = run(["--check"]);
            expect(missing.code).to.equal(1);
            expect(missing.err).to.equal(`${DOCS_FILE} is missing; regenerate it with: ${REGENERATE_COMMAND}\n`);
            fs.mkdirSync(path.join(root, "docs"));
            fs.writeFileSync(path.join(root, DOCS_FILE), generated.replace("integer 0..100", "integer"));
            const stale = run(["--check"]);
            expect(stale.code).to.equal(1);
            expect(stale.err).to.equal(
                `${DOCS_FILE} is out of date with the stack config schema; regenerate it with: ${REGENERATE_COMMAND}\n`,
            );
        });

        it("writes the file, after which --check exits 0", () => {
            const wrote = run([]);
            expect(wrote).to.deep.equal({ code: 0, out: `wrote ${DOCS_FILE} (${rows.length} paths)\n`, err: "" });
            expect(fs.readFileSync(path.join(root, DOCS_FILE), "utf8")).to.equal(generated);
            expect(run(["--check"])).to.deep.equal({ code: 0, out: "", err: "" });
            expect(renderConfigDocs()).to.equal(generated);
        });

        it("exits 2 on an unknown argument", () => {
            const bad = run(["--chekc"]);
            expect(bad.code).to.equal(2);
            expect(bad.err).to.equal(`config-docs: unknown argument --chekc\nusage: ${REGENERATE_COMMAND} [--check]\n`);
        });
    });
});
