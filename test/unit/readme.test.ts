/**
 * The README's component example is code, not prose: the first ```ts block of README.md runs under Pulumi
 * mocks (its `mesh-traffic` import pointed at this checkout's api.ts, the package's entry), must throw nothing,
 * and registers exactly the children its comments promise. A README edit that breaks the example fails here.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { setupMocks, type MockRecorder } from "../support/mocks";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The first ```ts block of the README. */
function readmeExample(): string {
    const text = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const m = /```ts\n([\s\S]*?)```/.exec(text);
    if (m?.[1] === undefined) {
        throw new Error("README.md has no ```ts block");
    }
    return m[1];
}

describe("README.md component example", () => {
    let rec: MockRecorder;

    before(async () => {
        rec = await setupMocks();
    });

    it("runs under mocks and creates the objects its comments describe", async () => {
        const source = readmeExample();
        expect(source).to.include('from "mesh-traffic"');
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-readme-"));
        const file = path.join(dir, "example.ts");
        const entry = path.join(REPO_ROOT, "api").split(path.sep).join("/");
        fs.writeFileSync(file, source.replace('from "mesh-traffic"', `from ${JSON.stringify(entry)}`));
        try {
            rec.reset();
            await import(file);
            await rec.settled();
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
        const count = (type: string): number => rec.byType(type).length;
        const istio = (kind: string): string => `kubernetes:networking.istio.io/v1:${kind}`;
        expect(count("kubernetes:apps/v1:Deployment"), "Workloads: a Deployment per version").to.equal(2);
        expect(count("kubernetes:core/v1:Service"), "Workloads: one Service").to.equal(1);
        // Canary, CircuitBreaker (payments) and the egress gateway's subset: one DestinationRule each
        expect(count(istio("DestinationRule"))).to.equal(3);
        // Canary (mesh), IngressGateway (gateway-bound), EgressGateway (mesh -> gateway -> external)
        expect(count(istio("VirtualService"))).to.equal(3);
        // ingress, internal, egress
        expect(count(istio("Gateway"))).to.equal(3);
        expect(count(istio("ServiceEntry"))).to.equal(1);
        expect(count(istio("Sidecar")), "registryOnly: true adds the REGISTRY_ONLY Sidecar").to.equal(1);
        const canaryVs = rec.byType(istio("VirtualService")).find((r) => (r.inputs["spec"] as { hosts?: string[] }).hosts?.includes("sample-app"));
        const http = (canaryVs?.inputs["spec"] as { http: { route: { destination: { subset?: string }; weight?: number }[] }[] }).http;
        const catchAll = http[http.length - 1]?.route.map((d) => [d.destination.subset, d.weight]);
        expect(catchAll, "the weighted catch-all: stable 90, canary 10").to.deep.equal([
            ["stable", 90],
            ["canary", 10],
        ]);
        const ingressVs = rec.byType(istio("VirtualService")).find((r) => (r.inputs["spec"] as { hosts?: string[] }).hosts?.includes("shop.example.com"));
        const names = (ingressVs?.inputs["spec"] as { http: { name: string }[] }).http.map((r) => r.name);
        expect(names, "the ingress carries the Canary's routes under /api").to.deep.equal([
            "route-0-fault-injection",
            "route-0-canary-pin-0",
            "route-0-canary-pin-1",
            "route-0-ab-test",
            "route-0-catch-all",
            "route-1",
        ]);
    });

    it("names every top-level config key of the schema in its table", async () => {
        const { STACK_CONFIG_KEYS } = await import("../../contract/schema");
        const text = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
        const rows = [...text.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1]);
        expect(rows).to.deep.equal([...STACK_CONFIG_KEYS]);
    });
});
