/**
 * Every committed stack's Istio objects (under Pulumi's mocks) pass Istio's own semantic validation
 * (components/istioValidation.ts: the rules istiod's validating webhook applies), with no errors and no warnings:
 * what the program emits today is what istiod accepts as it is. The CRD schema and the analyzer rules are
 * stacks.test.ts's.
 */
import { expect } from "chai";
import { validateIstioSpec, type IstioKind } from "../../../components/istioValidation";
import { committedStackFiles, istioObjects, rawStackConfig } from "../../support/emitted";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";

const KINDS = new Set<string>(["VirtualService", "DestinationRule", "ServiceEntry", "Gateway", "Sidecar"]);
const stackFiles = committedStackFiles().filter((f) => /^Pulumi\.[a-z0-9-]+\.yaml$/.test(f));

describe("every stack under mocks: Istio's semantic validation (istiod's webhook rules)", function () {
    this.timeout(200_000);
    const mesh = stacksUnderMocks();

    for (const file of stackFiles) {
        const stack = file.slice("Pulumi.".length, -".yaml".length);
        it(`${file}: no errors and no warnings`, async () => {
            mesh.rec.reset();
            const cfg = mesh.stacks.parseStackConfig(stack, rawStackConfig(file));
            mesh.stacks.buildMeshStack(cfg);
            await mesh.rec.settled();
            const objects = istioObjects(mesh.rec).filter((o) => KINDS.has(o.kind));
            expect(objects.length, "Istio objects").to.be.greaterThan(0);
            const findings = objects.flatMap((o) =>
                validateIstioSpec(o.kind as IstioKind, o.spec, { namespace: o.metadata.namespace }).map(
                    (f) => `${o.kind}/${o.metadata.name} ${f.severity} ${JSON.stringify(f.path)}: ${f.message}`,
                ),
            );
            expect(findings, findings.join("\n")).to.deep.equal([]);
        });
    }
});
