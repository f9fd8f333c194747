/**
 * Every committed stack (`Pulumi.<stack>.yaml`) run through the program under Pulumi mocks, and every Istio
 * object it emits validated against Istio's CRD OpenAPI schema (the pinned istio.io/api bundle, unknown fields
 * rejected) and the analyzer rules of test/support/istioAnalyzer.ts (subsets and gateways exist, catch-all last,
 * one DestinationRule per host, gateway routes weighted like the mesh).
 *
 * The seed document's YAML (test/fixtures/seed-istio.yaml) goes through the same validator, which must find
 * the fields Istio does not know: that is the class of bug this test exists to catch.
 *
 * Not proven here: what the API server's own validation (CEL rules this validator does not evaluate) says;
 * the end-to-end suite applies the objects to a real kube-apiserver with strict field validation.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { committedStackFiles, istioObjects, rawStackConfig, REPO_ROOT } from "../../support/emitted";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";
import { analyzeMesh } from "../../support/istioAnalyzer";

const stackFiles = committedStackFiles().filter((f) => /^Pulumi\.[a-z0-9-]+\.yaml$/.test(f));
const rawConfig = (file: string): Record<string, unknown> => rawStackConfig(file);

describe("every stack under mocks: Istio CRD schema and analyzer rules", function () {
    // The first call may fetch the pinned CRDs with `go mod download` (cached afterwards).
    this.timeout(200_000);
    const mesh = stacksUnderMocks();

    it("finds the three environments", () => {
        expect(stackFiles).to.include.members(["Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml"]);
    });

    for (const file of stackFiles) {
        const stack = file.slice("Pulumi.".length, -".yaml".length);
        it(`${file}: every emitted Istio object is valid for Istio's schema and the mesh passes the analyzer rules`, async () => {
            mesh.rec.reset();
            const cfg = mesh.stacks.parseStackConfig(stack, rawConfig(file));
            mesh.stacks.buildMeshStack(cfg);
            await mesh.rec.settled();
            const objects = istioObjects(mesh.rec);
            const kinds = new Set(objects.map((o) => o.kind));
            expect([...kinds], "a stack emits at least a VirtualService and a DestinationRule").to.include.members(["VirtualService", "DestinationRule"]);
            for (const o of objects) {
                expect(o.apiVersion, `${o.kind}/${o.metadata.name}`).to.equal("networking.istio.io/v1");
                expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).to.equal(cfg.namespace);
            }
            const problems = objects.flatMap((o) => mesh.schema.validate(o));
            expect(problems, JSON.stringify(problems, null, 2)).to.deep.equal([]);
            expect(analyzeMesh(objects)).to.deep.equal([]);
        });
    }

    it("a canary at 25 % in production: gateway and mesh routes carry the same split, still valid", async () => {
        mesh.rec.reset();
        const raw = rawConfig("Pulumi.production.yaml");
        const services = raw["services"] as Record<string, { canary?: { version?: string; weight?: number } }>;
        const [name, svc] = Object.entries(services).find(([, s]) => s.canary?.version !== undefined) ?? [];
        expect(svc, "production has a service with a canary version").to.not.equal(undefined);
        (svc as { canary: { weight: number } }).canary.weight = 25;
        mesh.stacks.buildMeshStack(mesh.stacks.parseStackConfig("production", raw));
        await mesh.rec.settled();
        const objects = istioObjects(mesh.rec);
        expect(objects.flatMap((o) => mesh.schema.validate(o))).to.deep.equal([]);
        expect(analyzeMesh(objects)).to.deep.equal([]);
        const weights = objects
            .filter((o) => o.kind === "VirtualService")
            .flatMap((o) => (o.spec["http"] as { route?: { destination: { host: string; subset?: string }; weight?: number }[] }[] | undefined) ?? [])
            .flatMap((r) => r.route ?? [])
            .filter((d) => d.destination.host.split(".")[0] === name && d.destination.subset === "canary")
            .map((d) => d.weight);
        expect(weights, "the canary weight appears in the weighted catch-all").to.include(25);
    });

    it("the seed document's YAML: the validator names the fields Istio does not know", () => {
        const docs = parseAllDocuments(fs.readFileSync(path.join(REPO_ROOT, "test", "fixtures", "seed-istio.yaml"), "utf8"))
            .map((d) => d.toJS() as unknown)
            .filter((d): d is Record<string, unknown> => d !== null && typeof d === "object");
        expect(docs.length).to.equal(13);
        const unknown = docs
            .flatMap((d) => mesh.schema.validate(d))
            .filter((p) => p.message.startsWith("unknown field"))
            .map((p) => `${p.object} ${p.path} ${p.message}`)
            .sort();
        expect(unknown).to.deep.equal([
            'DestinationRule/circuit-breaker /spec/subsets/1/trafficPolicy unknown field "circuitBreaker"',
            'DestinationRule/circuit-breaker /spec/trafficPolicy unknown field "circuitBreaker"',
            'DestinationRule/load-balancing-demo /spec/trafficPolicy/connectionPool/tcp unknown field "keepAlive"',
        ]);
    });
});
