/**
 * `routingApi: gateway-api` for the internal gateway and egress (stacks/gatewayApi.ts, components/gatewayApiEgressPlan.ts)
 * under Pulumi mocks: the internal gateway as a plain-HTTP Gateway with an HTTPRoute per route; egress as Istio's
 * egress recipe with the Gateway API (a ServiceEntry, a TLS passthrough Gateway of class istio, TLSRoutes mesh ->
 * gateway -> host) and the REGISTRY_ONLY Sidecar; in a single stack and in per-service stacks (the platform owns the
 * Gateways, a service stack its `<svc>-internal` HTTPRoute). Every object validated against the pinned CRDs' schema
 * (TLSRoute: gateway.networking.k8s.io/v1, standard channel of v1.6.0). Then what this mode refuses of them.
 */
import * as fs from "node:fs";
import { expect } from "chai";
import { parseAllDocuments } from "yaml";
import { planGatewayApiEgress } from "../../../components/gatewayApiEgressPlan";
import { checkStackConfig } from "../../../stacks/config";
import { gatewayApiEnvironment } from "../../support/environments";
import { gatewayApiCrdPath } from "../../support/istioCrds";
import type { RecordedResource } from "../../support/mocks";
import { runProgram } from "../../support/programUnderMocks";
import { baseStackConfig, type RawStack } from "../../support/stackFixtures";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";

const HTTPROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const TLSROUTE = "kubernetes:gateway.networking.k8s.io/v1:TLSRoute";
const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const SE = "kubernetes:networking.istio.io/v1:ServiceEntry";
const SIDECAR = "kubernetes:networking.istio.io/v1:Sidecar";

const specOf = (r: RecordedResource): unknown => r.inputs["spec"];
const kindName = (r: RecordedResource): string => `${r.type.split(":").pop() ?? ""}/${(r.inputs["metadata"] as { name: string }).name}`;

/** The base fixture in gateway-api mode with two egress hosts (443, 8443), REGISTRY_ONLY and an internal gateway routing `/healthz` exactly and `/`. */
function withGateways(): RawStack {
    const raw = baseStackConfig();
    raw["routingApi"] = "gateway-api";
    raw["egress"] = [{ host: "api.external-service.com" }, { host: "billing.example.org", port: 8443 }];
    raw["egressGateway"] = { registryOnly: true };
    raw["internalGateway"] = {
        enabled: true,
        hosts: ["*.shop.svc.cluster.local"],
        port: 8080,
        routes: [
            { exact: "/healthz", service: "sample-app" },
            { prefix: "/", service: "sample-app" },
        ],
    };
    return raw;
}

describe("routingApi gateway-api: the internal gateway and egress", function () {
    this.timeout(200_000);
    const mesh = stacksUnderMocks();

    it("the pinned bundle (v1.6.0, standard channel) serves TLSRoute and TCPRoute at v1 only: v1alpha2, as Istio's tcp-echo samples write them, is not served", () => {
        type Crd = { spec?: { names?: { kind?: string }; versions?: { name: string; served: boolean }[] } };
        const crds = parseAllDocuments(fs.readFileSync(gatewayApiCrdPath(), "utf8")).map((d) => d.toJS() as Crd);
        const served = (kind: string) => crds.find((c) => c.spec?.names?.kind === kind)?.spec?.versions?.filter((v) => v.served).map((v) => v.name);
        expect(served("TLSRoute")).to.deep.equal(["v1"]);
        expect(served("TCPRoute")).to.deep.equal(["v1"]);
    });

    it("a single stack: the internal Gateway and its HTTPRoutes, the egress Gateway, ServiceEntries, TLSRoutes and the Sidecar; each valid against its CRD", async () => {
        const objects = await mesh.build(withGateways());
        const names = objects.map(kindName);
        expect(names.filter((n) => !/sample-app|ingress|Namespace/.test(n)).sort()).to.deep.equal([
            "Gateway/egress",
            "Gateway/internal",
            "HTTPRoute/internal-0",
            "HTTPRoute/internal-1",
            "ServiceEntry/egress-api-external-service-com",
            "ServiceEntry/egress-billing-example-org",
            "Sidecar/default",
            "TLSRoute/egress-api-external-service-com",
            "TLSRoute/egress-api-external-service-com-mesh",
            "TLSRoute/egress-billing-example-org",
            "TLSRoute/egress-billing-example-org-mesh",
        ]);
        expect(names.some((n) => n.startsWith("VirtualService/")), "no VirtualService").to.equal(false);
        expect(mesh.crdProblems(objects.filter((r) => r.type.includes("gateway.networking.k8s.io") || r.type.includes("networking.istio.io")))).to.deep.equal([]);
        // The internal gateway: one plain-HTTP listener on its port, a ClusterIP Service (reached from the cluster only, so
        // no ingress for the policy pack's ingress-http-redirect); each route carries the service's rules on its path.
        expect(mesh.rec.one("internal-gateway", GATEWAY).inputs["metadata"]).to.have.nested.property("annotations.networking\\.istio\\.io/service-type", "ClusterIP");
        expect(specOf(mesh.rec.one("internal-gateway", GATEWAY))).to.deep.equal({
            gatewayClassName: "istio",
            listeners: [{ name: "http", port: 8080, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } }],
        });
        const exact = specOf(mesh.rec.one("internal-0-httproute", HTTPROUTE)) as { parentRefs: unknown; hostnames: unknown; rules: { name: string; matches: unknown[] }[] };
        expect(exact.parentRefs).to.deep.equal([{ name: "internal", sectionName: "http" }]);
        expect(exact.hostnames).to.deep.equal(["*.shop.svc.cluster.local"]);
        expect(exact.rules.at(-1)).to.deep.include({ name: "catch-all", matches: [{ path: { type: "Exact", value: "/healthz" } }] });
        // Egress: Istio's recipe with the Gateway API.
        expect(mesh.rec.one("egress-gateway", GATEWAY).inputs["metadata"]).to.have.nested.property("annotations.networking\\.istio\\.io/service-type", "ClusterIP");
        expect(specOf(mesh.rec.one("egress-gateway", GATEWAY))).to.deep.equal({
            gatewayClassName: "istio",
            listeners: ["api.external-service.com", "billing.example.org"].map((host, i) => ({
                name: host.replace(/\./g, "-"),
                hostname: host,
                port: i === 0 ? 443 : 8443,
                protocol: "TLS",
                tls: { mode: "Passthrough" },
                allowedRoutes: { namespaces: { from: "Same" }, kinds: [{ kind: "TLSRoute" }] },
            })),
        });
        expect(specOf(mesh.rec.one("egress-billing-example-org-se", SE))).to.deep.equal({
            hosts: ["billing.example.org"],
            ports: [{ number: 8443, name: "tls-8443", protocol: "TLS" }],
            location: "MESH_EXTERNAL",
            resolution: "DNS",
        });
        expect(specOf(mesh.rec.one("egress-billing-example-org-mesh-tlsroute", TLSROUTE))).to.deep.equal({
            parentRefs: [{ group: "networking.istio.io", kind: "ServiceEntry", name: "egress-billing-example-org" }],
            hostnames: ["billing.example.org"],
            rules: [{ backendRefs: [{ name: "egress-istio", port: 8443 }] }],
        });
        expect(specOf(mesh.rec.one("egress-billing-example-org-tlsroute", TLSROUTE))).to.deep.equal({
            parentRefs: [{ name: "egress", sectionName: "billing-example-org" }],
            hostnames: ["billing.example.org"],
            rules: [{ backendRefs: [{ group: "networking.istio.io", kind: "Hostname", name: "billing.example.org", port: 8443 }] }],
        });
        expect(specOf(mesh.rec.one("egress-sidecar", SIDECAR))).to.deep.equal({ outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } });
    });

    it("stackObjects lists what the components register (the name-collision rule checks these names)", async () => {
        const raw = withGateways();
        const objects = await mesh.build(raw);
        const registered = objects.map(kindName).filter((k) => !k.startsWith("Namespace/"));
        const listed = mesh.stacks.stackObjects(mesh.stacks.parseStackConfig("test", raw)).map((o) => `${o.kind}/${o.name}`);
        // DestinationRules of the version Services are left out: the version Service of the same name is listed.
        expect(listed.sort()).to.deep.equal(registered.filter((k) => !/^DestinationRule\/.*-v\d$/.test(k)).sort());
    });

    it("per-service stacks: the platform owns the internal Gateway and egress; a service stack attaches <svc>-internal to the Gateway", async () => {
        const env = gatewayApiEnvironment();
        env.platform.config["egress"] = [{ host: "api.external-service.com" }];
        env.platform.config["internalGateway"] = { enabled: true, hosts: ["*.shop.svc.cluster.local"], routes: [{ prefix: "/api", service: "checkout" }] };
        mesh.rec.reset();
        const platform = await runProgram(mesh.stacks, env.platform.config, "prod");
        await mesh.rec.settled();
        const platformObjects = mesh.rec.resources.filter((r) => r.type.startsWith("kubernetes:"));
        expect(mesh.crdProblems(platformObjects)).to.deep.equal([]);
        expect(platformObjects.map(kindName).filter((n) => /internal|egress/.test(n)).sort()).to.deep.equal([
            "Gateway/egress",
            "Gateway/internal",
            "ServiceEntry/egress-api-external-service-com",
            "TLSRoute/egress-api-external-service-com",
            "TLSRoute/egress-api-external-service-com-mesh",
        ]);
        mesh.rec.stackOutputs.set("prod", { platform: platform.platform });
        mesh.rec.reset();
        await runProgram(mesh.stacks, env.services[0]!.config, "prod.checkout");
        await mesh.rec.settled();
        const serviceObjects = mesh.rec.resources.filter((r) => r.type.startsWith("kubernetes:"));
        expect(mesh.crdProblems(serviceObjects)).to.deep.equal([]);
        const internal = specOf(mesh.rec.one("checkout-internal-httproute", HTTPROUTE)) as { parentRefs: unknown; hostnames: unknown; rules: { name: string; matches: { path: { value: string } }[] }[] };
        expect(internal.parentRefs).to.deep.equal([{ name: "internal", namespace: "shop", sectionName: "http" }]);
        expect(internal.hostnames).to.deep.equal(["*.shop.svc.cluster.local"]);
        // The mesh rules under the platform's prefix /api, as on the ingress.
        expect(internal.rules).to.deep.equal((specOf(mesh.rec.one("checkout-ingress-httproute", HTTPROUTE)) as { rules: unknown[] }).rules);
        expect(internal.rules.map((r) => [r.name, r.matches.map((m) => m.path.value)])).to.deep.equal([
            ["canary-pin-0", ["/api", "/api/legacy"]],
            ["ab-test", ["/api", "/api/legacy"]],
            ["uri-0", ["/api/legacy"]],
            ["catch-all", ["/api"]],
        ]);
    });
});

describe("routingApi gateway-api: what it refuses of the internal gateway and egress", () => {
    const refused = (edit: (raw: RawStack) => void): { path: string; reason: string; fix: string | undefined }[] => {
        const raw = withGateways();
        edit(raw);
        const result = checkStackConfig(raw);
        expect(result.config, "the config must be refused").to.equal(undefined);
        return result.problems.map((p) => ({ path: p.propertyPath, reason: p.reason, fix: p.fix }));
    };

    it("the fixture is valid: internal gateway, egress and registryOnly are emitted in this mode", () => {
        expect(checkStackConfig(withGateways()).problems).to.deep.equal([]);
    });

    it("a gateway selector: istiod deploys a Gateway of class istio itself", () => {
        expect(refused((r) => ((r["internalGateway"] as Record<string, unknown>)["selector"] = { app: "my-gw" }))).to.deep.equal([
            {
                path: "internalGateway.selector",
                reason:
                    'internalGateway.selector is {"app":"my-gw"}; with routingApi gateway-api istiod deploys the gateway of a Gateway of class istio itself ' +
                    "(Deployment and Service <gateway>-istio), so no selector picks existing gateway pods: remove it (its pods are then unused) or use routingApi istio",
                fix: "pulumi config rm --path 'internalGateway.selector'   # or: pulumi config set routingApi istio",
            },
        ]);
        expect(refused((r) => ((r["egressGateway"] as Record<string, unknown>)["selector"] = { istio: "egress-b" })).map((p) => p.path)).to.deep.equal(["egressGateway.selector"]);
        expect(refused((r) => (r.ingress["selector"] = { istio: "ingress-b" })).map((p) => p.path)).to.deep.equal(["ingress.selector"]);
    });

    it("another egress gateway Service: the Gateway's own is istiod's egress-istio", () => {
        const got = refused((r) => ((r["egressGateway"] as Record<string, unknown>)["gatewayService"] = "egress-b.istio-system.svc.cluster.local"));
        expect(got.map((p) => [p.path, p.fix])).to.deep.equal([["egressGateway.gatewayService", "pulumi config rm --path 'egressGateway.gatewayService'   # or: pulumi config set routingApi istio"]]);
        expect(got[0]?.reason).to.contain('is "egress-b.istio-system.svc.cluster.local"; with routingApi gateway-api the egress gateway\'s Service is the one istiod makes for the Gateway "egress"');
    });

    it("an internal gateway route the Gateway API's CRD refuses", () => {
        const got = refused((r) => ((r["internalGateway"] as { routes: unknown[] }).routes = [{ prefix: "/a//b", service: "sample-app" }]));
        expect(got.map((p) => p.path)).to.deep.equal(["internalGateway.routes[0].prefix"]);
        expect(got[0]?.reason).to.contain('internalGateway.routes[0].prefix is "/a//b"; a Gateway API path prefix starts with "/", has no "//"');
    });

    it("two hosts whose objects would share a name, and more hosts than a Gateway holds listeners (the plan)", () => {
        const two = planGatewayApiEgress("egress", { namespace: "shop", hosts: [{ host: "a.b.example.com" }, { host: "a-b.example.com" }] });
        expect(two.problems.map((p) => p.reason)).to.deep.equal([
            'hosts[1].host is "a-b.example.com"; its objects and listener would be named like those of "a.b.example.com" ("a-b-example-com"): keep one of them',
        ]);
        const many = planGatewayApiEgress("egress", { namespace: "shop", hosts: Array.from({ length: 65 }, (_, i) => ({ host: `h${i}.example.com` })) });
        expect(many.problems.map((p) => p.propertyPath)).to.deep.equal(["hosts"]);
        expect(many.problems[0]?.reason).to.contain("a Gateway holds at most 64 listeners, one per host");
    });
});
