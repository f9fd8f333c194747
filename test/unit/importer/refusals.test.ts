/**
 * What the importer refuses (importer/parse.ts, toConfig.ts, command.ts): each case's message names the file, the
 * document (and List item), the kind and name, what is wrong and why, and the fix; every problem of an input is
 * listed in one run, exit 2, and nothing is printed on stdout or written.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import type { ImportRequest } from "../../../importer/command";
import { importFiles, type ImportRun } from "./run";

const VS = (name: string, extra = ""): string => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
${extra}spec:
  hosts: [${name}]
  http:
  - route:
    - destination: { host: ${name} }
`;

/** The refusal's problem lines. */
const lines = (r: ImportRun): string[] => r.stderr.split("\n").filter((l) => l.startsWith("  - "));

describe("importer: refusals name file, document, kind, name, rule and fix", () => {
    const tmp: string[] = [];
    const run = async (files: Record<string, string>, req: Partial<ImportRequest> = {}): Promise<ImportRun> => {
        const r = await importFiles(files, req);
        tmp.push(r.dir);
        return r;
    };
    after(() => tmp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    const table: Array<[string, string, string[]]> = [
        [
            "a Gateway API kind",
            "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: reviews }\nspec: {}\n",
            ["in.yaml document 1 (HTTPRoute reviews): HTTPRoute (gateway.networking.k8s.io/v1) is a Gateway API kind; the routing key holds Istio's own API", "fix: import the Istio API version of the same routing"],
        ],
        [
            "AuthorizationPolicy",
            "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: deny-all }\nspec: {}\n",
            ["in.yaml document 1 (AuthorizationPolicy deny-all): AuthorizationPolicy (security.istio.io/v1) is not traffic routing the routing key can hold", "fix: keep the AuthorizationPolicy outside the stack (kubectl apply) and remove it from the input"],
        ],
        [
            "an Istio networking kind the routing key does not hold",
            "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: { name: lua }\nspec: {}\n",
            ["in.yaml document 1 (EnvoyFilter lua): EnvoyFilter (networking.istio.io/v1alpha3) is not one of the routing key's kinds", "fix: keep the EnvoyFilter outside the stack"],
        ],
        [
            "a Deployment (without --skip-unsupported)",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: reviews-v1 }\nspec: {}\n",
            ["in.yaml document 1 (Deployment reviews-v1): Deployment (apps/v1) is not an Istio traffic object", "fix: remove it from the input, or pass --skip-unsupported"],
        ],
        [
            "an object without a name",
            "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: { generateName: gw- }\nspec: {}\n",
            ['in.yaml document 1 (Gateway): has no metadata.name (it has metadata.generateName "gw-", which the API server completes); the routing key holds each object under its name', "fix: give it metadata.name"],
        ],
        [
            "a name that is not a DNS-1123 label",
            VS("Reviews.v1"),
            ['in.yaml document 1 (VirtualService Reviews.v1): metadata.name "Reviews.v1" is not a DNS-1123 label', "fix: rename it, e.g. to reviews-v1"],
        ],
        [
            "a name of 64 characters",
            VS("a".repeat(64)),
            [`metadata.name "${"a".repeat(64)}" is not a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)`, `fix: rename it, e.g. to ${"a".repeat(63)}`],
        ],
        [
            "two VirtualServices of one name",
            `${VS("reviews")}---\n${VS("ratings")}---\n${VS("reviews")}`,
            ["in.yaml document 3 (VirtualService reviews): a second VirtualService named reviews (the first: in.yaml document 1 (VirtualService reviews))", "fix: keep one of the two, or rename one of them"],
        ],
        [
            "an apiVersion Istio does not serve",
            VS("reviews").replace("networking.istio.io/v1", "networking.istio.io/v2"),
            ['in.yaml document 1 (VirtualService reviews): apiVersion "networking.istio.io/v2" is not a version Istio serves for VirtualService', "fix: set apiVersion: networking.istio.io/v1"],
        ],
        [
            "a document that is not an object",
            `${VS("reviews")}---\n- just\n- a list\n`,
            ["in.yaml document 2: is not a Kubernetes object: a YAML mapping with apiVersion and kind", "fix: give the document apiVersion"],
        ],
        [
            "invalid YAML",
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nkind: Gateway\n",
            ["in.yaml document 1: is not valid YAML: Map keys must be unique", "fix: correct the YAML"],
        ],
        [
            "an object inside a kind: List",
            `apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.istio.io/v1\n  kind: VirtualService\n  metadata: { name: ok }\n  spec: {}\n- apiVersion: networking.istio.io/v1beta1\n  kind: DestinationRule\n  metadata: { name: Bad }\n  spec: {}\n`,
            ['in.yaml document 1 item 2 of the List (DestinationRule Bad): metadata.name "Bad" is not a DNS-1123 label', "fix: rename it, e.g. to bad"],
        ],
        [
            "a top-level field outside spec",
            "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: reviews }\nhosts: [reviews]\nspec: {}\n",
            ['in.yaml document 1 (VirtualService reviews): has a top-level field "hosts"', "fix: move it under spec"],
        ],
        [
            "a spec that is not a mapping",
            "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: { name: default }\nspec: [egress]\n",
            ["in.yaml document 1 (Sidecar default): spec is a list, not a mapping", "fix: write the Sidecar's spec as a mapping"],
        ],
    ];
    for (const [what, text, expected] of table) {
        it(`${what}: exit 2, the problem named`, async () => {
            const r = await run({ "in.yaml": text });
            expect(r.code, r.stderr).to.equal(2);
            expect(r.stdout).to.equal("");
            expect(lines(r), r.stderr).to.have.length(1);
            for (const e of expected) {
                expect(lines(r)[0]).to.include(e);
            }
        });
    }

    it("objects in two namespaces, no target given: each object of either named", async () => {
        const r = await run({ "in.yaml": `${VS("reviews", "  namespace: shop\n")}---\n${VS("ratings", "  namespace: books\n")}---\n${VS("details")}` });
        expect(r.code).to.equal(2);
        expect(lines(r)).to.have.length(2);
        expect(lines(r)[1]).to.include('in.yaml document 2 (VirtualService ratings): metadata.namespace is "books", and the input spans namespaces shop, books; one stack\'s objects are all in one namespace');
        expect(lines(r)[1]).to.include("fix: import each namespace's objects on their own");
    });

    it("a namespace other than --namespace, and other than the stack's", async () => {
        const r = await run({ "in.yaml": `${VS("reviews", "  namespace: shop\n")}---\n${VS("ratings")}` }, { namespace: "books" });
        expect(r.code).to.equal(2);
        expect(lines(r)).to.deep.equal([
            '  - in.yaml document 1 (VirtualService reviews): metadata.namespace is "shop", and the stack\'s objects are all in namespace "books" (--namespace); fix: import it for a stack of namespace shop (--namespace shop, or --stack with that stack), or remove its metadata.namespace if it belongs in books',
        ]);
        const s = await run({ "in.yaml": VS("reviews", "  namespace: shop\n"), "Pulumi.dev.yaml": "config:\n  mesh-traffic:namespace: books\n" }, { stack: "dev" });
        expect(s.code).to.equal(2);
        expect(lines(s)[0]).to.include(`metadata.namespace is "shop", and the stack's objects are all in namespace "books" (stack dev's namespace)`);
        const d = await run({ "in.yaml": VS("reviews", "  namespace: shop\n"), "Pulumi.dev.yaml": "config:\n  mesh-traffic:layout: single\n" }, { stack: "dev" });
        expect(lines(d)[0]).to.include(`namespace "mesh-traffic" (stack dev's namespace, the default)`);
    });

    it("--skip-unsupported lists workloads as skipped, and still refuses the Gateway API and other Istio kinds", async () => {
        const deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: reviews-v1 }\nspec: {}\n";
        const ok = await run({ "in.yaml": `${deployment}---\n${VS("reviews")}` }, { skipUnsupported: true });
        expect(ok.code, ok.stderr).to.equal(0);
        expect(ok.stderr).to.include("skipped in.yaml document 1 (Deployment reviews-v1): Deployment (apps/v1) is not an Istio traffic object");
        expect(ok.stdout).to.include("mesh-traffic:routing:");
        const bad = await run({ "in.yaml": `${deployment}---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: r }\n---\napiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: a }\n` }, { skipUnsupported: true });
        expect(bad.code).to.equal(2);
        expect(lines(bad).map((l) => /\((\w+) \w+\)/.exec(l)?.[1])).to.deep.equal(["HTTPRoute", "AuthorizationPolicy"]);
        const none = await run({ "in.yaml": deployment }, { skipUnsupported: true });
        expect(none.code).to.equal(2);
        expect(lines(none)[0]).to.include("the input holds no VirtualService, DestinationRule, ServiceEntry, Gateway or Sidecar (1 other objects skipped)");
    });

    it("every problem of the input in one run, across files", async () => {
        const r = await run({
            "a.yaml": `${VS("reviews")}---\n${VS("Bad_Name")}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\n`,
            "b.yaml": `${VS("reviews")}---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {}\nspec: {}\n`,
        });
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(/^mesh-release import: 4 problems in the input \(nothing was written\):/);
        expect(lines(r).map((l) => l.slice(4, l.indexOf(":")))).to.deep.equal([
            "a.yaml document 2 (VirtualService Bad_Name)",
            "a.yaml document 3 (Deployment web)",
            "b.yaml document 2 (Gateway)",
            "b.yaml document 1 (VirtualService reviews)",
        ]);
    });

    it("a file that does not exist, and - with no standard input", async () => {
        const r = await run({ "in.yaml": VS("reviews") }, { files: ["in.yaml", "missing.yaml", "-"] });
        expect(r.code).to.equal(2);
        expect(r.stderr).to.include("missing.yaml cannot be read");
        expect(r.stderr).to.include("standard input cannot be read");
    });

    it("reads - from standard input, shown as <stdin>", async () => {
        const r = await importFiles({}, { files: ["-"] }, `${VS("reviews")}---\n${VS("reviews")}`);
        tmp.push(r.dir);
        expect(lines(r)[0]).to.include("<stdin> document 2 (VirtualService reviews): a second VirtualService named reviews (the first: <stdin> document 1");
    });
});
