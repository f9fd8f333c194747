/**
 * Ambient mode and its waypoints (`ambient`, `services.<svc>.waypoint`; routingApi gateway-api) under Pulumi mocks:
 * the namespace labelled for ambient mode and its waypoint, a waypoint `Gateway` (class istio-waypoint, listener mesh
 * 15008 HBONE) per namespace or service, equal to the pinned istio module's sample waypoint, the `istio.io/use-waypoint`
 * label on a service's Services, every object valid against the pinned Gateway API CRDs; the routes attach to the
 * Service (GAMMA) as in sidecar mode. Then every refusal, in one stack and across per-service stacks.
 *
 * What istiod sends the waypoints for these objects is checked in test/e2e/istiod/waypoint.test.ts (a second istiod
 * with ambient mode; the Gateway's status address and the waypoint's Service stood in); no ztunnel can be built here
 * to carry traffic to them.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { gatewayApiEnvironment, type ExampleEnvironment } from "../../support/environments";
import { istioModuleDir } from "../../support/istioModule";
import type { RecordedResource } from "../../support/mocks";
import { programError, runProgram } from "../../support/programUnderMocks";
import { baseStackConfig, type RawStack } from "../../support/stackFixtures";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";

type Raw = Record<string, unknown>;
const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const SERVICE = "kubernetes:core/v1:Service";

/** The base fixture in gateway-api mode and ambient mode with a namespace waypoint, plus `payments` with a waypoint of its own. */
function ambientStack(): RawStack {
    const raw = baseStackConfig();
    raw["routingApi"] = "gateway-api";
    delete raw["egress"];
    raw["ambient"] = { enabled: true, waypoint: "waypoint", waypointFor: "service" };
    raw.services["payments"] = { image: "pay:{version}", stable: { version: "v1" }, canary: { version: "v2", weight: 30 }, waypoint: "own" };
    return raw;
}

const labelsOf = (r: RecordedResource): Record<string, string> => (r.inputs["metadata"] as { labels?: Record<string, string> }).labels ?? {};

describe("ambient mode and waypoints (routingApi gateway-api)", function () {
    this.timeout(200_000);
    const mesh = stacksUnderMocks();
    const build = (raw: RawStack): Promise<RecordedResource[]> => mesh.build(raw);

    it("a single stack: the namespace in ambient mode with its waypoint, the waypoint Gateways (namespace's, payments' own), the label on payments' Services; all valid", async () => {
        const objects = await build(ambientStack());
        expect(labelsOf(mesh.rec.one("namespace", "kubernetes:core/v1:Namespace"))).to.deep.equal({
            "app.kubernetes.io/managed-by": "pulumi",
            "app.kubernetes.io/part-of": "mesh-traffic",
            "istio.io/dataplane-mode": "ambient",
            "istio.io/use-waypoint": "waypoint",
        });
        const waypoint = mesh.rec.one("waypoint-gateway", GATEWAY);
        expect(waypoint.inputs["spec"]).to.deep.equal({ gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] });
        expect(labelsOf(waypoint)).to.include({ "istio.io/waypoint-for": "service" });
        expect((waypoint.inputs["metadata"] as { name: string; namespace: string })).to.include({ name: "waypoint", namespace: "shop" });
        expect((mesh.rec.one("payments-waypoint-gateway", GATEWAY).inputs["metadata"] as { name: string }).name).to.equal("payments-waypoint");
        for (const svc of ["payments-service", "payments-v1-service", "payments-v2-service"]) {
            expect(labelsOf(mesh.rec.one(svc, SERVICE)), svc).to.include({ "istio.io/use-waypoint": "payments-waypoint" });
        }
        for (const svc of ["sample-app-service", "sample-app-v1-service"]) {
            expect(labelsOf(mesh.rec.one(svc, SERVICE)), `${svc}: the namespace's waypoint`).to.not.have.property("istio.io/use-waypoint");
        }
        // The routes attach to the Service (GAMMA) as in sidecar mode: the waypoint of the Service applies them.
        expect((mesh.rec.one("payments-httproute", "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute").inputs["spec"] as { parentRefs: unknown }).parentRefs).to.deep.equal([
            { group: "", kind: "Service", name: "payments" },
        ]);
        const gatewayApi = objects.filter((r) => r.type.includes("gateway.networking.k8s.io"));
        expect(gatewayApi.length).to.equal(7); // 2 waypoints, the ingress Gateway, its redirect and route, 2 mesh routes
        expect(mesh.crdProblems(objects)).to.deep.equal([]);
        // stackObjects names what the components register (the name-collision rules check these)
        const cfg = mesh.stacks.parseStackConfig("test", ambientStack());
        const listed = mesh.stacks.stackObjects(cfg).filter((o) => o.kind === "Gateway").map((o) => o.name).sort();
        expect(listed).to.deep.equal(mesh.rec.byType(GATEWAY).map((r) => (r.inputs["metadata"] as { name: string }).name).sort());
    });

    it("the waypoint Gateway is the pinned istio module's sample waypoint (samples/ambient-argo: reviews-waypoint.yaml), but its name and revision label", async () => {
        const file = path.join(istioModuleDir(), "samples", "ambient-argo", "application", "reviews-waypoint.yaml");
        const sample = parse(fs.readFileSync(file, "utf8")) as { apiVersion: string; kind: string; spec: unknown };
        expect(sample.apiVersion).to.equal("gateway.networking.k8s.io/v1");
        await build(ambientStack());
        expect(mesh.rec.one("waypoint-gateway", GATEWAY).inputs["spec"]).to.deep.equal(sample.spec);
    });

    it("sidecar mode (the default): the namespace keeps istio-injection=enabled, no waypoint, no label", async () => {
        const raw = baseStackConfig();
        raw["routingApi"] = "gateway-api";
        delete raw["egress"];
        await build(raw);
        expect(labelsOf(mesh.rec.one("namespace", "kubernetes:core/v1:Namespace"))).to.include({ "istio-injection": "enabled" });
        expect(mesh.rec.byType(GATEWAY).map((r) => r.name)).to.deep.equal(["ingress-gateway"]);
    });

    describe("refused, each at its path with the rule and the fix", () => {
        const refused = (edit: (r: RawStack) => void): { path: string; reason: string; fix: string | undefined }[] => {
            const raw = ambientStack();
            edit(raw);
            return mesh.stacks.checkStackConfig(raw).problems.map((p) => ({ path: p.propertyPath, reason: p.reason, fix: p.fix }));
        };

        it("the ambient stack itself is valid", () => {
            expect(refused(() => undefined)).to.deep.equal([]);
        });

        it("ambient mode with Istio's API: waypoints take HTTPRoutes", () => {
            const p = refused((r) => (r["routingApi"] = "istio"));
            expect(p.filter((x) => x.path === "ambient.enabled")).to.deep.equal([
                {
                    path: "ambient.enabled",
                    reason:
                        'ambient.enabled is true but routingApi is "istio"; in ambient mode a waypoint applies the routes, and Istio supports HTTPRoutes there (a VirtualService on a waypoint is alpha: Istio\'s ambient docs ask for the Gateway API)',
                    fix: "pulumi config set routingApi gateway-api   # or: pulumi config set --path 'ambient.enabled' false",
                },
            ]);
        });

        it("a namespace the stack does not create; a waypoint without ambient mode; the reserved name none", () => {
            expect(refused((r) => (r["createNamespace"] = false)).map((x) => x.reason)).to.deep.equal([
                "ambient.enabled is true but createNamespace is false; ambient mode is the namespace label istio.io/dataplane-mode=ambient, which this stack sets on the namespace it creates",
            ]);
            const off = refused((r) => {
                r["ambient"] = { waypoint: "waypoint" };
                delete r.services["payments"];
            });
            expect(off.map((x) => [x.path, x.fix])).to.deep.equal([["ambient.waypoint", "pulumi config set --path 'ambient.enabled' true   # or: pulumi config rm --path 'ambient.waypoint'"]]);
            expect(refused((r) => ((r["ambient"] as Raw)["waypoint"] = "none")).map((x) => x.path)).to.deep.equal(["ambient.waypoint"]);
        });

        it("a service no waypoint serves in ambient mode; a waypoint of its own in sidecar mode", () => {
            const none = refused((r) => ((r["ambient"] as Raw)["waypoint"] = ""));
            expect(none.map((x) => x.path)).to.deep.equal(["services.sample-app.waypoint"]);
            expect(none[0]?.reason).to.equal(
                'services.sample-app.waypoint is "namespace", but this stack\'s namespace is in ambient mode without a namespace waypoint (ambient.waypoint is ""); in ambient mode only a waypoint applies the service\'s HTTPRoute (its split, pins and A/B flag), so mesh traffic to sample-app would not be routed by it',
            );
            expect(none[0]?.fix).to.equal("pulumi config set --path 'services.sample-app.waypoint' own   # or give the namespace a waypoint: pulumi config set --path 'ambient.waypoint' waypoint");
            const sidecar = refused((r) => (r["ambient"] = {}));
            expect(sidecar.map((x) => [x.path, x.reason])).to.deep.equal([
                ["services.payments.waypoint", 'services.payments.waypoint is "own", but this stack\'s namespace is not in ambient mode (ambient.enabled); with sidecars no traffic reaches a waypoint, so it would serve nothing'],
            ]);
        });

        it("a waypoint named like another Gateway of the stack", () => {
            expect(refused((r) => ((r["ambient"] as Raw)["waypoint"] = "ingress")).map((x) => [x.path, x.reason])).to.deep.equal([
                ["ambient.waypoint", 'ambient.waypoint makes Gateway "ingress", which ingress (the ingress gateway) also makes; each object name must have one owner: rename the waypoint'],
            ]);
            expect(refused((r) => ((r["ambient"] as Raw)["waypoint"] = "payments-waypoint")).map((x) => x.path)).to.deep.equal(["services.payments.waypoint"]);
        });
    });

    describe("per-service stacks: the platform owns the namespace's waypoint, a service stack its own", () => {
        /** The example environment in gateway-api and ambient mode (a namespace waypoint); checkout asks for its own. */
        function env(): ExampleEnvironment {
            const e = gatewayApiEnvironment();
            e.platform.config["ambient"] = { enabled: true, waypoint: "waypoint" };
            ((e.services[0]!.config["services"] as Record<string, Raw>)["checkout"] as Raw)["waypoint"] = "own";
            return e;
        }

        it("the platform: namespace in ambient mode, its waypoint, and both in its output; a service stack: its own waypoint and the label", async () => {
            const e = env();
            mesh.rec.reset();
            const out = await runProgram(mesh.stacks, e.platform.config, "prod");
            await mesh.rec.settled();
            expect(out.platform?.ambient).to.deep.equal({ waypoint: "waypoint" });
            expect(mesh.rec.byType(GATEWAY).map((r) => r.name).sort()).to.deep.equal(["ingress-gateway", "waypoint-gateway"]);
            mesh.rec.stackOutputs.set("prod", { platform: out.platform });
            mesh.rec.reset();
            await runProgram(mesh.stacks, e.services[0]!.config, "prod.checkout");
            await mesh.rec.settled();
            expect(mesh.rec.byType(GATEWAY).map((r) => r.name)).to.deep.equal(["checkout-waypoint-gateway"]);
            expect(labelsOf(mesh.rec.one("checkout-service", SERVICE))).to.include({ "istio.io/use-waypoint": "checkout-waypoint" });
            expect(mesh.stacks.checkEnvironment(e.platform, e.services)).to.deep.equal([]);
        });

        it("refused by the service stack's program and by the environment check: a waypoint of its own in a sidecar platform, none in an ambient platform without one", async () => {
            const e = env();
            const sidecar = structuredClone(e.platform.config);
            delete sidecar["ambient"];
            const sidecarOut = await runProgram(mesh.stacks, sidecar, "prod");
            await mesh.rec.settled();
            mesh.rec.stackOutputs.set("prod", { platform: sidecarOut.platform });
            mesh.rec.reset();
            const err = await programError(mesh.stacks, e.services[0]!.config, "prod.checkout");
            await mesh.rec.settled();
            expect(mesh.rec.resources.filter((r) => r.type.startsWith("kubernetes:")), "nothing registered").to.deep.equal([]);
            expect((err as Error).message).to.contain(`services.checkout.waypoint is "own", but the platform stack "prod"'s namespace is not in ambient mode`);
            expect(mesh.stacks.checkEnvironment({ stack: "prod", config: sidecar }, e.services).map((p) => `${p.stack} ${p.propertyPath}`)).to.deep.equal(["prod.checkout services.checkout.waypoint"]);
            const bare = structuredClone(e.platform.config);
            bare["ambient"] = { enabled: true };
            const p = mesh.stacks.checkEnvironment({ stack: "prod", config: bare }, e.services);
            expect(p.map((x) => `${x.stack} ${x.propertyPath}`)).to.deep.equal(["prod.frontend services.frontend.waypoint"]);
            expect(p[0]?.fix).to.contain("(in the platform stack)");
            // a service stack cannot set the namespace's mode: the platform owns the namespace
            const own = mesh.stacks.checkStackConfig({ ...e.services[1]!.config, ambient: { enabled: true } }).problems;
            expect(own.map((x) => x.propertyPath)).to.deep.equal(["ambient"]);
        });
    });
});
