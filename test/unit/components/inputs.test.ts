/**
 * Input-typed component args (components/inputs.ts) under Pulumi's runtime mocks: a component composed from another
 * resource's outputs, values checked at construction when they are known and when they resolve when they are not,
 * with the same message either way; args that decide which children exist refused as Outputs.
 */
import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { inspect } from "node:util";
import { forgetFailedRegistrations, outputError, outputValue, setupMocks, type MockRecorder } from "../../support/mocks";
import type * as Components from "../../../components";
import type * as K8s from "@pulumi/kubernetes";

const VS = "kubernetes:networking.istio.io/v1:VirtualService";
const DR = "kubernetes:networking.istio.io/v1:DestinationRule";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";

/** The error `fn` throws (it must throw). */
function thrown(fn: () => unknown): Error & { errors: { propertyPath: string; reason: string }[] } {
    try {
        fn();
    } catch (err) {
        return err as Error & { errors: { propertyPath: string; reason: string }[] };
    }
    throw new Error("expected an error");
}

describe("component args as Inputs (Pulumi mocks)", () => {
    let rec: MockRecorder;
    let c: typeof Components;
    let k8s: typeof K8s;

    before(async () => {
        rec = await setupMocks();
        c = await import("../../../components");
        k8s = await import("@pulumi/kubernetes");
    });
    beforeEach(() => rec.reset());
    after(() => forgetFailedRegistrations());

    const canaryArgs = (over: Partial<Components.CanaryArgs> = {}): Components.CanaryArgs => ({
        namespace: "shop",
        service: "sample-app",
        port: 8080,
        stable: { version: "v1" },
        canary: { version: "v2", weight: 10 },
        pins: [{ header: "x-canary", exact: "true" }],
        claims: new c.DestinationRuleClaims(),
        ...over,
    });

    it("a Canary whose namespace is a Namespace's output: its objects land in that namespace, with the specs plain args give", async () => {
        const plain = new c.Canary("plain", canaryArgs({ service: "plain-app" }));
        const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: "shop" } });
        const composed = new c.Canary("sample-app", canaryArgs({ namespace: ns.metadata.name, canary: { version: "v2", weight: pulumi.output(10) } }));
        await rec.settled();
        const dr = rec.one("sample-app-dr", DR);
        const vs = rec.one("sample-app-vs", VS);
        expect(dr.parentName).to.equal("sample-app");
        expect(dr.inputs.metadata).to.deep.include({ name: "sample-app", namespace: "shop" });
        expect(vs.inputs.metadata).to.deep.include({ name: "sample-app", namespace: "shop" });
        // the same spec as the plain Canary's, but for the host
        const rename = (v: unknown) => JSON.parse(JSON.stringify(v).replace(/plain-app/g, "sample-app")) as unknown;
        expect(vs.inputs.spec).to.deep.equal(rename(rec.one("plain-vs", VS).inputs.spec));
        expect(dr.inputs.spec).to.deep.equal(rename(rec.one("plain-dr", DR).inputs.spec));
        expect(await outputValue(composed.weights)).to.deep.equal({ stable: 90, canary: 10 });
        expect(await outputValue(composed.hosts)).to.deep.equal(["sample-app"]);
        // plain args stay plain: the children get the very objects the stack program always gave them
        expect(pulumi.Output.isInstance(plain.destinationRule.istioSpec)).to.equal(false);
        expect(pulumi.Output.isInstance(composed.destinationRule.istioSpec)).to.equal(true);
    });

    it("a bad value arriving as an Output fails with the message a plain bad value gives, and no child of the component is registered", async () => {
        const plainError = thrown(() => new c.Canary("sample-app", canaryArgs({ canary: { version: "v2", weight: 120 } })));
        rec.reset();
        const canary = new c.Canary("sample-app", canaryArgs({ canary: { version: "v2", weight: pulumi.output(120) } }));
        const err = await outputError(canary.weights);
        await rec.settled();
        expect(err.name).to.equal("MeshValidationError");
        expect(err.message).to.equal(plainError.message);
        expect(err.message).to.equal(
            'mesh-traffic:index:Canary "sample-app" has 1 invalid argument:\n  - canary.weight is 120; it must be an integer from 0 to 100',
        );
        expect((err as Error & { errors: unknown[] }).errors).to.deep.equal([{ propertyPath: "canary.weight", reason: "canary.weight is 120; it must be an integer from 0 to 100" }]);
        expect(rec.byType(DR).concat(rec.byType(VS)).map((r) => r.name)).to.deep.equal([]);
        // The language host prints an error that is not a RunError with `util.inspect(err, { colors: true })`: the same
        // text for both, with no stack and none of what the SDK attached on the way (the `promise`); the hint says what
        // was registered by then (the component, not its children).
        const shown = 'MeshValidationError: mesh-traffic:index:Canary "sample-app" has 1 invalid argument:\n  - canary.weight is 120; it must be an integer from 0 to 100\n';
        expect(inspect(plainError, { colors: true })).to.equal(`${shown}Fix the values named above (stack config or component args); nothing was registered.`);
        expect(inspect(err, { colors: true })).to.equal(`${shown}Fix the values named above (stack config or component args); none of the component's children was registered.`);
    });

    it("a known bad value fails at construction, before anything is registered, while another arg is still an Output; problems that wait for it are not guessed", async () => {
        const ns = pulumi.output("shop");
        const err = thrown(
            () =>
                new c.Canary(
                    "sample-app",
                    canaryArgs({
                        namespace: ns,
                        service: "Bad_Svc",
                        // canary.version resolves later: the pin to the canary waits for it (no "canary.version is not set")
                        canary: { version: pulumi.output("v2"), weight: 10 },
                        timeout: "10x",
                    }),
                ),
        );
        expect(err.name).to.equal("MeshValidationError");
        // what plain values give (the default host is the service), but the pin's check, which waits for canary.version
        const plain = thrown(() => new c.Canary("sample-app", canaryArgs({ service: "Bad_Svc", timeout: "10x" })));
        expect(err.errors.map((e) => e.propertyPath)).to.deep.equal(["service", "hosts[0]", "timeout"]);
        expect(err.errors).to.deep.equal(plain.errors);
        expect(err.message).to.match(/^mesh-traffic:index:Canary "sample-app" has 3 invalid arguments:\n {2}- service is "Bad_Svc"; it must be a DNS label/);
        await rec.settled();
        expect(rec.resources).to.deep.equal([]);
    });

    it("an IngressGateway composed with a Canary's httpRoutes Output and a TLS secret name from an Output", async () => {
        const canary = new c.Canary("sample-app", canaryArgs({ namespace: pulumi.output("shop") }));
        const ingress = new c.IngressGateway("ingress", {
            namespace: pulumi.output("shop"),
            hosts: [pulumi.output("app.example.com")],
            tls: { mode: "SIMPLE", credentialName: pulumi.output("app-tls") },
            routes: [{ prefix: "/", host: "sample-app", port: 8080, routes: canary.httpRoutes }],
        });
        await rec.settled();
        expect(await outputValue(ingress.gatewayRef)).to.equal("shop/ingress");
        const vs = rec.one("ingress-vs", VS).inputs.spec as { hosts: string[]; http: { name: string }[] };
        expect(vs.hosts).to.deep.equal(["app.example.com"]);
        expect(vs.http.map((r) => r.name)).to.deep.equal(["route-0-canary-pin-0", "route-0-catch-all"]);
    });

    it("refuses an Output where an arg decides which children exist: Workloads versions, egress hosts", () => {
        const w = thrown(
            () => new c.Workloads("app", { namespace: "shop", app: "app", versions: [{ version: pulumi.output("v1") as unknown as string, image: "img:v1" }] }),
        );
        expect(w.errors).to.deep.equal([
            {
                propertyPath: "versions[0].version",
                reason: "versions[0].version is an Output; it must be a plain value: it decides which resources mesh-traffic:index:Workloads creates and their names",
            },
        ]);
        const e = thrown(
            () =>
                new c.EgressGateway("egress", {
                    namespace: "shop",
                    hosts: pulumi.output([{ host: "api.example.com" }]) as unknown as Components.ExternalHostArgs[],
                    claims: new c.DestinationRuleClaims(),
                }),
        );
        expect(e.errors.map((x) => x.propertyPath)).to.deep.equal(["hosts"]);
    });

    it("the provider's Workloads (versions an Input list for Go's SDK): a known list works, an Output list or item is refused by path", async () => {
        const p = await import("../../../provider/workloads");
        new p.Workloads("prov", { namespace: "shop", app: "prov", versions: [{ version: "v1", image: "img:v1" }] });
        await rec.settled();
        expect((rec.one("prov-v1", DEPLOYMENT).inputs as { metadata: { name: string } }).metadata.name).to.equal("prov-v1");
        const whole = thrown(() => new p.Workloads("w1", { namespace: "shop", app: "w1", versions: pulumi.output([{ version: "v1", image: "img:v1" }]) }));
        const item = thrown(() => new p.Workloads("w2", { namespace: "shop", app: "w2", versions: [pulumi.output({ version: "v1", image: "img:v1" })] }));
        expect([whole.errors.map((x) => x.propertyPath), item.errors.map((x) => x.propertyPath)]).to.deep.equal([["versions"], ["versions[0]"]]);
        expect(item.message).to.include("mesh-traffic:index:Workloads");
    });

    it("Workloads: image and replicas from Outputs, one Deployment per plain version", async () => {
        const w = new c.Workloads("app", { namespace: pulumi.output("shop"), app: "app", versions: [{ version: "v1", image: pulumi.output("img:v1"), replicas: pulumi.output(2) }] });
        await rec.settled();
        const d = rec.one("app-v1", DEPLOYMENT).inputs as { metadata: { name: string; namespace: string }; spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } };
        expect([d.metadata.name, d.metadata.namespace, d.spec.replicas, d.spec.template.spec.containers[0]?.image]).to.deep.equal(["app-v1", "shop", 2, "img:v1"]);
        expect(w.versions).to.deep.equal(["v1"]);
    });

    it("a DestinationRule claim is checked when the namespace resolves: a second claimant of the host fails then, naming both", async () => {
        const claims = new c.DestinationRuleClaims();
        new c.Canary("sample-app", canaryArgs({ claims }));
        const breaker = new c.CircuitBreaker("breaker", { namespace: pulumi.output("shop"), host: "sample-app", trafficPolicy: { loadBalancer: { simple: "LEAST_CONN" } }, claims });
        const err = await outputError(breaker.host);
        expect(err.message).to.match(/^mesh-traffic:index:CircuitBreaker "breaker" has 1 invalid argument:\n {2}- host is "sample-app", whose DestinationRule in namespace "shop" is already claimed by mesh-traffic:index:Canary "sample-app"/);
    });
});
