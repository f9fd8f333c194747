/**
 * `mesh-release import --stack <name>`: the routing merged into `Pulumi.<stack>.yaml` through the yaml library's
 * document model (importer/stackConfig.ts): comments, order, secure values and other keys kept; objects the
 * stack already holds refused unless --replace; a service stack refused, naming its platform stack. A refused
 * import leaves the file byte for byte as it was.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { importFiles, type ImportRun } from "./run";

const STACK = `# dev stack: hand-written comments stay
encryptionsalt: v1:abc
config:
  mesh-traffic:namespace: shop # the shop's namespace
  mesh-traffic:token:
    secure: v1:c2VjcmV0
  mesh-traffic:routing:
    # kept
    gateways:
      shop-gateway:
        selector: { istio: ingressgateway }
        servers: []
`;

const REVIEWS = `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: reviews, namespace: shop, labels: { app: reviews } }
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: { host: reviews, subset: v1 }
      weight: 80
    - destination: { host: reviews, subset: v2 }
      weight: 20
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: { name: shop-gateway }
spec:
  selector: { istio: ingressgateway }
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ["*"]
`;

describe("importer: --stack merges into Pulumi.<stack>.yaml", () => {
    const tmp: string[] = [];
    const run = async (files: Record<string, string>, req: Parameters<typeof importFiles>[1]): Promise<ImportRun> => {
        const r = await importFiles(files, req);
        tmp.push(r.dir);
        return r;
    };
    after(() => tmp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
    const stackFile = (r: ImportRun): string => fs.readFileSync(path.join(r.dir, "Pulumi.dev.yaml"), "utf8");

    it("an object the stack already holds is refused, naming it and --replace; the file is untouched", async () => {
        const r = await run({ "in.yaml": REVIEWS, "Pulumi.dev.yaml": STACK }, { stack: "dev" });
        expect(r.code).to.equal(2);
        expect(r.stderr).to.include("in.yaml document 3 (Gateway shop-gateway): stack dev already holds routing.gateways.shop-gateway; fix: pass --replace to replace it with the imported one, or rename one of them");
        expect(stackFile(r)).to.equal(STACK);
    });

    it("--replace: merged, comments, secure values and other keys kept, the replaced object named", async () => {
        const r = await run({ "in.yaml": REVIEWS, "Pulumi.dev.yaml": STACK }, { stack: "dev", replace: true });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.include("3 objects (1 VirtualService, 1 DestinationRule, 1 Gateway) written to");
        expect(r.stdout).to.include("replacing routing.gateways.shop-gateway");
        expect(r.stderr).to.include("in.yaml document 1 (VirtualService reviews): metadata.labels not imported");
        const text = stackFile(r);
        for (const kept of ["# dev stack: hand-written comments stay", "encryptionsalt: v1:abc", "mesh-traffic:namespace: shop # the shop's namespace", "secure: v1:c2VjcmV0", "# kept"]) {
            expect(text).to.include(kept);
        }
        const config = (parse(text) as { config: Record<string, unknown> }).config;
        expect(config["mesh-traffic:routing"]).to.deep.equal({
            destinationRules: { reviews: { host: "reviews", subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }] } },
            gateways: { "shop-gateway": { selector: { istio: "ingressgateway" }, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }] } },
            virtualServices: {
                reviews: {
                    hosts: ["reviews"],
                    http: [
                        {
                            route: [
                                { destination: { host: "reviews", subset: "v1" }, weight: 80 },
                                { destination: { host: "reviews", subset: "v2" }, weight: 20 },
                            ],
                        },
                    ],
                },
            },
        });
    });

    it("a stack without routing gets the key; the stack's namespace is the target", async () => {
        const r = await run({ "in.yaml": REVIEWS, "Pulumi.dev.yaml": "config:\n  mesh-traffic:namespace: shop\n" }, { stack: "dev" });
        expect(r.code, r.stderr).to.equal(0);
        expect(Object.keys((parse(stackFile(r)) as { config: Record<string, Record<string, unknown>> }).config["mesh-traffic:routing"] ?? {})).to.deep.equal(["virtualServices", "destinationRules", "gateways"]);
    });

    it("a service stack is refused, naming its platform stack; --layout must be the stack's", async () => {
        const svc = await run({ "in.yaml": REVIEWS, "Pulumi.production.reviews.yaml": "config:\n  mesh-traffic:layout: service\n  mesh-traffic:platformStack: acme/mesh-traffic/production\n  mesh-traffic:namespace: shop\n" }, { stack: "production.reviews" });
        expect(svc.code).to.equal(2);
        expect(svc.stderr).to.include("imported objects belong to the platform stack (acme/mesh-traffic/production); fix: import into the platform stack: --stack production");
        expect(svc.stderr).to.include("stack production.reviews is a service stack (layout: service): its routing is only its service's route table");
        const layout = await run({ "in.yaml": REVIEWS, "Pulumi.dev.yaml": "config:\n  mesh-traffic:namespace: shop\n" }, { stack: "dev", layout: "platform" });
        expect(layout.code).to.equal(2);
        expect(layout.stderr).to.include("--layout is platform, and stack dev's layout is single; fix: leave --layout out");
    });

    it("a project with stackConfigDir: the stack file is read and written there", async () => {
        const r = await importFiles({ "in.yaml": REVIEWS, "Pulumi.yaml": "name: mesh-traffic\nruntime: nodejs\nstackConfigDir: stacks\n" }, { stack: "dev", files: ["in.yaml"] }, undefined, (dir) => {
            fs.mkdirSync(path.join(dir, "stacks"));
            fs.writeFileSync(path.join(dir, "stacks", "Pulumi.dev.yaml"), "config:\n  mesh-traffic:namespace: shop\n");
        });
        tmp.push(r.dir);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.include(path.join(r.dir, "stacks", "Pulumi.dev.yaml"));
        expect(fs.readFileSync(path.join(r.dir, "stacks", "Pulumi.dev.yaml"), "utf8")).to.include("mesh-traffic:routing:");
    });

    it("a stack whose routing is text, or that does not exist, is refused with the fix", async () => {
        const text = await run({ "in.yaml": REVIEWS, "Pulumi.dev.yaml": "config:\n  mesh-traffic:namespace: shop\n  mesh-traffic:routing: '{}'\n" }, { stack: "dev" });
        expect(text.code).to.equal(2);
        expect(text.stderr).to.include("mesh-traffic:routing in Pulumi.dev.yaml is not a YAML mapping");
        const missing = await run({ "in.yaml": REVIEWS }, { stack: "staging" });
        expect(missing.code).to.equal(2);
        expect(missing.stderr).to.include("stack staging's settings file");
        expect(missing.stderr).to.include("fix: run in the Pulumi project's directory (or --cwd <dir>), create the stack first (pulumi stack init staging)");
    });
});
