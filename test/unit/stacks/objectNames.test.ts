/**
 * stacks/meshPlan.ts `stackObjects` (what the name-collision rule checks) lists exactly the objects the
 * components register, by kind and name: if a component renames a child, the collision rule would check a
 * name nobody makes and this test fails. Under Pulumi mocks.
 */
import { expect } from "chai";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";

describe("stackObjects names what the components register (stacks/meshPlan.ts)", () => {
    const mesh = stacksUnderMocks();

    it("every kind and name, for a stack with every component", async () => {
        mesh.rec.reset();
        const cfg = mesh.stacks.parseStackConfig("test", {
            namespace: "shop",
            createNamespace: false,
            services: {
                "sample-app": { image: "img:{version}", stable: { version: "v1" }, canary: { version: "v2", weight: 10 } },
                payments: { image: "pay:{version}", stable: { version: "v3" } },
            },
            ingress: { enabled: true, hosts: ["shop.example.com"], tls: { mode: "SIMPLE", credentialName: "shop-tls" }, routes: [{ prefix: "/", service: "sample-app" }] },
            internalGateway: { enabled: true, hosts: ["*.shop.svc.cluster.local"], routes: [{ prefix: "/", service: "payments" }] },
            egress: [{ host: "api.external-service.com" }, { host: "pay.example.org", port: 8443 }],
            egressGateway: { registryOnly: true },
        });
        mesh.stacks.buildMeshStack(cfg);
        await mesh.rec.settled();
        const registered = mesh.rec.resources
            .filter((r) => r.custom)
            .map((r) => `${r.type.split(":").pop() ?? ""}/${(r.inputs["metadata"] as { name: string }).name}`)
            .sort();
        const listed = mesh.stacks.stackObjects(cfg).map((o) => `${o.kind}/${o.name}`).sort();
        expect(listed).to.deep.equal(registered);
    });
});
