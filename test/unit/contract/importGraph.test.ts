/**
 * The import graph between the two programs, read with the TypeScript compiler API (static imports, re-exports,
 * `import()` and `require()`): the Pulumi program (`stacks/`) and the release program (`release/`) meet only in
 * `contract/`, which imports neither; release/ reaches into stacks/ only where it runs the program or the
 * program's own checks (the allowed list below, each with its reason). And each shared helper has one home: it
 * is declared at the top level of one file only, so a second copy under the same name fails here. The walk covers
 * the root files too (`index.ts`, the program, which imports the lease's program half; `api.ts`, the public API).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import * as ts from "typescript";

const ROOT = path.resolve(__dirname, "../../..");
const SOURCE_DIRS = ["components", "contract", "stacks", "release", "importer", "bin", "scripts", "sim", "bench"];
/** The package's entry files at the repository's root: the Pulumi program (`index.ts`) and the public API (`api.ts`). */
const ROOT_FILES = ["index.ts", "api.ts"];

function sourceFiles(dir: string): string[] {
    const abs = path.join(ROOT, dir);
    if (!fs.existsSync(abs)) return [];
    return fs.readdirSync(abs, { withFileTypes: true }).flatMap((e) => {
        const rel = path.join(dir, e.name);
        if (e.isDirectory()) return sourceFiles(rel);
        return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [rel.split(path.sep).join("/")] : [];
    });
}

const parse = (file: string): ts.SourceFile => ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), "utf8"), ts.ScriptTarget.ES2022, true);

/** Every module specifier `file` imports: import/export declarations, `import("...")`, `require("...")`. */
export function importsOf(source: ts.SourceFile): string[] {
    const out: string[] = [];
    const visit = (node: ts.Node): void => {
        if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
            out.push(node.moduleSpecifier.text);
        } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
            out.push(node.moduleReference.expression.text);
        } else if (ts.isCallExpression(node)) {
            const arg = node.arguments[0];
            const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
            const isRequire = ts.isIdentifier(node.expression) && node.expression.text === "require";
            if ((isImport || isRequire) && arg !== undefined && ts.isStringLiteral(arg)) out.push(arg.text);
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return out;
}

/** A relative specifier of `file` as a repo path (`../contract/paths` from `stacks/config.ts` -> `contract/paths`). */
const resolveFrom = (file: string, spec: string): string =>
    spec.startsWith(".") ? path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) : spec;

const topFolder = (repoPath: string): string => repoPath.split("/")[0] ?? "";

/** Edges from release/ into stacks/ that stay, and why. Anything else is a failure. */
const ALLOWED_RELEASE_TO_STACKS: Readonly<Record<string, { targets: readonly string[]; reason: string }>> = {
    "release/driver/program.ts": {
        targets: ["stacks"],
        reason: "runs the Pulumi program inline for an update (loaded lazily, only when an update runs)",
    },
    "release/driver/lease.ts": {
        targets: ["stacks/stackOutputs"],
        reason: "the lease's program half runs inside the update's program and reads its own stack's lease with the program's one read of stack outputs",
    },
    "release/env/check.ts": {
        targets: ["stacks/config", "stacks/environment"],
        reason: "runs the program's own checks (a stack's config before a command writes it, every stack before the fan-out), so release refuses exactly what `pulumi up` would",
    },
};

describe("contract: one module between the two programs (import graph)", () => {
    const files = [...ROOT_FILES.filter((f) => fs.existsSync(path.join(ROOT, f))), ...SOURCE_DIRS.flatMap(sourceFiles)];
    const edges = files.flatMap((file) => importsOf(parse(file)).map((spec) => ({ file, target: resolveFrom(file, spec) })));

    it("reads the graph (the parser sees static, dynamic and type imports)", () => {
        expect(files).to.include.members(["index.ts", "api.ts", "contract/schema.ts", "stacks/config.ts", "release/cli/index.ts"]);
        expect(edges.filter((e) => e.file === "index.ts").map((e) => e.target)).to.include.members(["release/driver/lease", "stacks"]);
        expect(edges.filter((e) => e.file === "api.ts").map((e) => e.target)).to.include.members(["components/canary", "stacks", "release/rollout"]);
        const fromConfig = edges.filter((e) => e.file === "stacks/config.ts").map((e) => e.target);
        expect(fromConfig).to.include.members(["contract/schema", "contract/paths"]);
        expect(edges.filter((e) => e.file === "release/driver/program.ts").map((e) => e.target)).to.include("stacks");
    });

    /** The transitive closure of `entries` over `graph` (a folder's specifier reaches its index.ts). */
    const reach = (entries: readonly string[], graph: readonly { file: string; target: string }[]): Set<string> => {
        const seen = new Set<string>();
        const queue = [...entries];
        while (queue.length > 0) {
            const f = queue.pop() as string;
            if (seen.has(f)) continue;
            seen.add(f);
            for (const e of graph.filter((x) => x.file.replace(/\.ts$/, "") === f || x.file === `${f}/index.ts`)) queue.push(e.target);
        }
        return seen;
    };
    const rig = (p: string): boolean => ["sim", "bench"].includes(topFolder(p)) || p === "release/sequential/simulate";

    it("the product (index.ts, api.ts, bin/, components/, stacks/, release/) reaches no test rig: nothing under sim/ or bench/, nor release/sequential/simulate.ts", () => {
        const entries = ["index", "api", "bin/mesh-release", "components/index", "stacks/index", ...files.filter((f) => topFolder(f) === "release").map((f) => f.replace(/\.ts$/, "")).filter((f) => !rig(f))];
        const seen = reach(entries, edges);
        expect(seen.has("stacks/index") && seen.has("release/rollout") && seen.has("release/driver/lease"), "the walk reached the product").to.equal(true);
        expect([...seen].filter(rig), "test rig reached from the product").to.deep.equal([]);
    });

    it("the walk from the root files sees what they import: index.ts reaches the lease and the stack outputs' read, api.ts the driver", () => {
        expect([...reach(["index"], edges)]).to.include.members(["release/driver/lease", "stacks/stackOutputs", "contract/lease", "contract/platformOutput"]);
        expect([...reach(["api"], edges)]).to.include.members(["release/driver/pulumiStack", "stacks"]);
        // the walk would catch a rig import from a root file
        expect([...reach(["index"], [...edges, { file: "index.ts", target: "sim/kube" }])].filter(rig)).to.include("sim/kube");
    });

    it("one read of stack outputs: only stacks/stackOutputs.ts names the engine's readStackOutputs invoke", () => {
        const naming = files.filter((f) => fs.readFileSync(path.join(ROOT, f), "utf8").includes('"pulumi:pulumi:readStackOutputs"'));
        expect(naming).to.deep.equal(["stacks/stackOutputs.ts"]);
    });

    it("no file under stacks/ imports from release/", () => {
        expect(edges.filter((e) => topFolder(e.file) === "stacks" && topFolder(e.target) === "release")).to.deep.equal([]);
    });

    it("no file under release/ imports from stacks/ except the allowed list", () => {
        const bad = edges.filter((e) => {
            if (topFolder(e.file) !== "release" || topFolder(e.target) !== "stacks") return false;
            const allowed = ALLOWED_RELEASE_TO_STACKS[e.file];
            return allowed === undefined || !allowed.targets.includes(e.target);
        });
        expect(bad).to.deep.equal([]);
        for (const [file, { reason }] of Object.entries(ALLOWED_RELEASE_TO_STACKS)) {
            expect(files, file).to.include(file);
            expect(reason.length, `${file} needs a reason`).to.be.greaterThan(20);
        }
    });

    it("importer/ reaches stacks/ only for the program's own checks (stacks/config, stacks/environment): what it writes, pulumi up accepts", () => {
        const bad = edges.filter((e) => topFolder(e.file) === "importer" && topFolder(e.target) === "stacks" && !["stacks/config", "stacks/environment"].includes(e.target));
        expect(edges.some((e) => e.file === "importer/check.ts" && e.target === "stacks/config"), "the walk sees importer/").to.equal(true);
        expect(bad).to.deep.equal([]);
    });

    it("contract/ imports neither program, nor the Pulumi SDK or a provider (no I/O either)", () => {
        const bad = edges.filter(
            (e) =>
                topFolder(e.file) === "contract" &&
                (["stacks", "release", "bin", "scripts"].includes(topFolder(e.target)) || e.target.startsWith("@pulumi/") || e.target.startsWith("node:")),
        );
        expect(bad).to.deep.equal([]);
    });

    it("the config check's files, the components' plans and their helpers import no Pulumi SDK or provider", () => {
        const pure = ["stacks/config.ts", "stacks/meshPlan.ts", "stacks/stackPlan.ts", "stacks/gatewayApi.ts", "stacks/rules.ts", "stacks/layout.ts", "stacks/environment.ts"];
        const helpers = ["components/validation.ts", "components/routes.ts", "components/trafficPolicy.ts", "components/destinationRuleClaims.ts", "components/planOnce.ts"];
        const plans = files.filter((f) => /^components\/\w+Plan\.ts$/.test(f));
        expect(plans).to.include("components/istioRoutingPlan.ts");
        expect(plans.length).to.be.at.least(6);
        const bad = edges.filter((e) => [...pure, ...helpers, ...plans].includes(e.file) && e.target.startsWith("@pulumi/"));
        expect(bad).to.deep.equal([]);
    });

    /** The import cycles among `within` (strongly connected components of more than one file, or a file importing itself), type imports included. */
    const cyclesAmong = (within: readonly string[], graph: readonly { file: string; target: string }[]): string[][] => {
        const fileOf = (target: string): string | undefined => [`${target}.ts`, `${target}/index.ts`].find((f) => within.includes(f));
        const next = new Map(within.map((f) => [f, [...new Set(graph.filter((e) => e.file === f).flatMap((e) => fileOf(e.target) ?? []))]]));
        // Tarjan's strongly connected components.
        const index = new Map<string, number>();
        const low = new Map<string, number>();
        const stack: string[] = [];
        const out: string[][] = [];
        const visit = (v: string): void => {
            index.set(v, index.size);
            low.set(v, index.get(v) as number);
            stack.push(v);
            for (const w of next.get(v) ?? []) {
                if (!index.has(w)) {
                    visit(w);
                    low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
                } else if (stack.includes(w)) {
                    low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
                }
            }
            if (low.get(v) === index.get(v)) {
                const scc: string[] = [];
                for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) scc.push(w);
                if (scc.length > 1 || (next.get(v) ?? []).includes(v)) out.push(scc.sort());
            }
        };
        within.forEach((f) => index.has(f) || visit(f));
        return out;
    };

    it("no import cycle among components/ and stacks/ (type imports too: a component's args live in its plan file, which the class imports)", () => {
        const within = files.filter((f) => ["components", "stacks"].includes(topFolder(f)));
        expect(within).to.include.members(["components/canary.ts", "components/canaryPlan.ts", "stacks/meshPlan.ts", "stacks/stackPlan.ts"]);
        expect(cyclesAmong(within, edges)).to.deep.equal([]);
        // the walk finds a cycle when there is one: the type import canaryPlan.ts had of canary.ts
        expect(cyclesAmong(within, [...edges, { file: "components/canaryPlan.ts", target: "components/canary" }])).to.deep.equal([["components/canary.ts", "components/canaryPlan.ts"]]);
    });

    describe("one home per helper", () => {
        /** Names declared at the top level of each file (functions, classes, consts). */
        const declared = files.flatMap((file) =>
            parse(file).statements.flatMap((st) => {
                if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st)) && st.name !== undefined) return [{ file, name: st.name.text }];
                if (ts.isVariableStatement(st)) {
                    return st.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [{ file, name: d.name.text }] : []));
                }
                return [];
            }),
        );
        const HOMES: Readonly<Record<string, string>> = {
            PROJECT: "contract/project.ts",
            configFromPulumiMap: "contract/stackConfig.ts",
            configFromCliJson: "contract/stackConfig.ts",
            configValue: "contract/stackConfig.ts",
            jsonOrText: "contract/stackConfig.ts",
            serviceStackName: "contract/project.ts",
            shortStackName: "contract/project.ts",
            serviceOfStackName: "contract/project.ts",
            serviceOfName: "(none: contract/project.ts serviceOfStackName)",
            escapeRegExp: "contract/paths.ts",
            mentionOf: "contract/paths.ts",
            formatPath: "contract/paths.ts",
            valueAt: "contract/paths.ts",
            isUnder: "contract/paths.ts",
            setFix: "contract/paths.ts",
            SECRET_PATHS: "contract/secrets.ts",
            isSecretPath: "contract/secrets.ts",
            credentialsOf: "contract/secrets.ts",
            Redactor: "contract/redact.ts",
            SECRET_MARK: "contract/redact.ts",
            levenshtein: "contract/didYouMean.ts",
            didYouMean: "contract/didYouMean.ts",
            stepsNotIncreasing: "contract/releaseRules.ts",
            TEMPLATE_VARIABLES: "contract/releaseRules.ts",
            show: "components/validation.ts",
            issueProblems: "contract/problems.ts",
            ruleMessage: "contract/problems.ts",
            allowedKeysAt: "contract/problems.ts",
            uniqueProblems: "contract/problems.ts",
            showValue: "contract/problems.ts",
            displayPath: "contract/problems.ts",
            tidyText: "contract/problems.ts",
            lookalikesIn: "contract/didYouMean.ts",
            foldLookalikes: "contract/didYouMean.ts",
            durationSchema: "contract/release.ts",
            readStackOutputs: "stacks/stackOutputs.ts",
            readStackOutput: "stacks/stackOutputs.ts",
            READ_STACK_OUTPUTS: "stacks/stackOutputs.ts",
            MISSING_STACK: "stacks/stackOutputs.ts",
            parseStackOutput: "contract/stackOutput.ts",
            leaseSchema: "contract/lease.ts",
            claimSchema: "contract/lease.ts",
            LEASE_OUTPUT: "contract/lease.ts",
            platformOutputSchema: "contract/platformOutput.ts",
            PLATFORM_OUTPUT: "contract/platformOutput.ts",
            isRfc3339: "contract/release.ts",
            urlTokenPlace: "contract/secrets.ts",
            looksLikeKeyMaterial: "contract/secrets.ts",
            safeJson: "(none: contract/stackConfig.ts jsonOrText)",
            PROJECT_NAME: "(none: contract/project.ts PROJECT)",
            parseDuration: "(none: components/validation.ts durationMs)",
            parseGoDuration: "components/validation.ts",
            durationMs: "components/validation.ts",
            GO_DURATION: "components/validation.ts",
        };
        for (const [name, home] of Object.entries(HOMES)) {
            const none = home.startsWith("(none");
            it(none ? `${name} is declared nowhere ${home.slice(5, -1)}` : `${name} is declared once, in ${home}`, () => {
                expect(declared.filter((d) => d.name === name).map((d) => d.file)).to.deep.equal(none ? [] : [home]);
            });
        }
    });
});
