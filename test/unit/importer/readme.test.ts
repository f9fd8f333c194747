/**
 * The README's "Import existing Istio YAML" commands as typed: every `npx mesh-release import` line runs through
 * the CLI in a copy of the project (Pulumi.yaml, the stack files, docs/examples), exit 0; the --stack line merges
 * into the copy's Pulumi.staging.yaml, keeping its comments. The `kubectl get ... -o yaml | ... import -` the
 * README names in its prose is stood in for by what kubectl prints (a List with server-set metadata) on stdin:
 * no cluster is asked here.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { runCli } from "../../../release/cli";
import { argvOf, readmeReleaseCommands } from "../../support/readme";
import { importFiles } from "./run";

const ROOT = path.resolve(__dirname, "..", "..", "..");

describe("README: Import existing Istio YAML, as typed", () => {
    const lines = readmeReleaseCommands().filter((l) => argvOf(l)[0] === "import");
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-import-readme-"));
        for (const f of fs.readdirSync(ROOT).filter((f) => /^Pulumi\..*yaml$/.test(f))) {
            fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
        }
        fs.cpSync(path.join(ROOT, "docs", "examples"), path.join(dir, "docs", "examples"), { recursive: true });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("the README shows an import that prints and one that merges into a stack", () => {
        expect(lines.filter((l) => !l.includes("--stack"))).to.have.length.greaterThan(0);
        expect(lines.filter((l) => l.includes("--stack"))).to.have.length.greaterThan(0);
    });

    for (const line of lines) {
        it(line, async () => {
            let stdout = "";
            let stderr = "";
            const code = await runCli(argvOf(line), {
                stdout: (s) => (stdout += s),
                stderr: (s) => (stderr += s),
                tty: false,
                cwd: dir,
                env: {},
                connect: () => {
                    throw new Error("import connects to no stack");
                },
            });
            expect(code, stderr).to.equal(0);
            expect(stderr).to.include("skipped docs/examples/reviews-routing.yaml document 1 (ServiceAccount bookinfo-reviews)");
            const stack = argvOf(line)[argvOf(line).indexOf("--stack") + 1];
            if (!line.includes("--stack") || stack === undefined) {
                expect(stdout).to.match(/^ {2}mesh-traffic:routing:\n {4}virtualServices:\n {6}reviews:\n/);
                return;
            }
            const text = fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8");
            const original = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
            expect(text.startsWith(original.split("\n")[0] ?? "?"), "the file's first comment is kept").to.equal(true);
            const routing = (parse(text) as { config: Record<string, { virtualServices: Record<string, unknown>; destinationRules: Record<string, unknown> }> }).config["mesh-traffic:routing"];
            expect(Object.keys(routing?.virtualServices ?? {})).to.deep.equal(["reviews"]);
            expect(Object.keys(routing?.destinationRules ?? {})).to.deep.equal(["reviews"]);
        });
    }

    it("what `kubectl get ... -o yaml` prints, on standard input: a List whose server-set metadata is dropped, its annotations named", async () => {
        const list = `apiVersion: v1
kind: List
metadata: { resourceVersion: "" }
items:
- apiVersion: networking.istio.io/v1
  kind: VirtualService
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"networking.istio.io/v1"}'
    creationTimestamp: "2026-12-01T10:00:00Z"
    generation: 3
    name: ratings
    namespace: shop
    resourceVersion: "4711"
    uid: 0b6c4c1e-2f6b-4f4e-9d4c-7f0a3b0d1e2f
  spec:
    hosts: [ratings]
    http:
    - route:
      - destination: { host: ratings, subset: v1 }
- apiVersion: networking.istio.io/v1
  kind: DestinationRule
  metadata: { name: ratings, namespace: shop, uid: 5d1e0c3a-8f2b-4a5e-9b7c-1e2d3f4a5b6c, resourceVersion: "4712" }
  spec:
    host: ratings
    subsets: [{ name: v1, labels: { version: v1 } }]
`;
        const r = await importFiles({}, { files: ["-"], namespace: "shop" }, list);
        fs.rmSync(r.dir, { recursive: true, force: true });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).to.include("mesh-release import: <stdin> document 1 item 1 of the List (VirtualService ratings): metadata.annotations not imported");
        expect(parse(`config:\n${r.stdout}`)).to.deep.equal({
            config: {
                "mesh-traffic:routing": {
                    virtualServices: { ratings: { hosts: ["ratings"], http: [{ route: [{ destination: { host: "ratings", subset: "v1" } }] }] } },
                    destinationRules: { ratings: { host: "ratings", subsets: [{ name: "v1", labels: { version: "v1" } }] } },
                },
            },
        });
    });
});
