/**
 * Every component under Pulumi's runtime mocks: exact child types, names, parents and specs, and every
 * bad-input case a component owns (the rest go through the config layer, test/unit/stacks/config.test.ts).
 */
import { expect } from "chai";
import type * as pulumi from "@pulumi/pulumi";
import { outputValue, setupMocks, type MockRecorder, type RecordedResource } from "../../support/mocks";
import type * as Components from "../../../components";

const VS = "kubernetes:networking.istio.io/v1:VirtualService";
const DR = "kubernetes:networking.istio.io/v1:DestinationRule";
const GW = "kubernetes:networking.istio.io/v1:Gateway";
const SE = "kubernetes:networking.istio.io/v1:ServiceEntry";
const SC = "kubernetes:networking.istio.io/v1:Sidecar";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const SERVICE = "kubernetes:core/v1:Service";

const LABELS = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "mesh-traffic" };

const byKey = (a: string[], b: string[]): number => a.join(" ").localeCompare(b.join(" "));

/**
 * `[type, name, parentType, parentName]` of every record, sorted (registrations complete in any order); a
 * top-level component has no parent under mocks ("", "").
 */
const tree = (rec: MockRecorder): string[][] =>
    rec.resources.map((r) => [r.type, r.name, r.parentType ?? "", r.parentName ?? ""]).sort(byKey);

/** The expected tree, sorted like {@link tree}. */
const expectTree = (rec: MockRecorder, expected: string[][]): void => {
    expect(tree(rec)).to.deep.equal([...expected].sort(byKey));
};

const spec = (r: RecordedResource): unknown => r.inputs.spec;

/** The thrown error of `fn`, which must throw. */
function thrown(fn: () => unknown): pulumi.InputPropertiesError & { code: string; errors: { propertyPath: string; reason: string }[] } {
    try {
        fn();
    } catch (err) {
        return err as pulumi.InputPropertiesError & { code: string; errors: { propertyPath: string; reason: string }[] };
    }
    throw new Error("expected an error");
}

describe("components (Pulumi mocks)", () => {
    let rec: MockRecorder;
    let c: typeof Components;

    before(async () => {
        rec = await setupMocks();
        c = await import("../../../components");
    });
    beforeEach(() => rec.reset());

    describe("Canary", () => {
        const args = (): Components.CanaryArgs => ({
            namespace: "shop",
            service: "sample-app",
            port: 8080,
            stable: { version: "v1" },
            canary: { version: "v2", weight: 10, trafficPolicy: { outlierDetection: { consecutiveGatewayErrors: 2, baseEjectionTime: "60s" } } },
            trafficPolicy: { loadBalancer: { simple: "LEAST_CONN" }, outlierDetection: { consecutive5xxErrors: 5, interval: "30s" } },
            pins: [{ header: "canary", exact: "true" }],
            claims: new c.DestinationRuleClaims(),
        });

        it("with delegate: the routes go to a delegate VirtualService (no hosts, exportTo), the mesh VirtualService is a root delegating to it", async () => {
            const canary = new c.Canary("sample-app", { ...args(), delegate: { name: "sample-app-delegate" } });
            await rec.settled();
            expectTree(rec, [
                ["mesh-traffic:index:Canary", "sample-app", "", ""],
                [DR, "sample-app-dr", "mesh-traffic:index:Canary", "sample-app"],
                [VS, "sample-app-delegate-vs", "mesh-traffic:index:Canary", "sample-app"],
                [VS, "sample-app-vs", "mesh-traffic:index:Canary", "sample-app"],
            ]);
            expect(spec(rec.one("sample-app-vs", VS))).to.deep.equal({
                hosts: ["sample-app"],
                http: [{ delegate: { name: "sample-app-delegate", namespace: "shop" } }],
            });
            const delegate = rec.one("sample-app-delegate-vs", VS);
            expect(delegate.inputs.metadata).to.deep.equal({ name: "sample-app-delegate", namespace: "shop", labels: LABELS });
            const d = spec(delegate) as { hosts?: unknown; exportTo: string[]; http: { name: string }[] };
            expect(d.hosts).to.equal(undefined);
            expect(d.exportTo).to.deep.equal(["."]);
            expect(d.http.map((r) => r.name)).to.deep.equal(["canary-pin-0", "catch-all"]);
            expect(canary.delegateVirtualService).to.not.equal(undefined);
        });

        it("with delegate: a delegate named like the mesh VirtualService, or not a DNS label, is refused", () => {
            const same = thrown(() => new c.Canary("sample-app", { ...args(), delegate: { name: "sample-app" } }));
            expect(same.errors.map((e) => e.propertyPath)).to.deep.equal(["delegate.name"]);
            const bad = thrown(() => new c.Canary("sample-app", { ...args(), delegate: { name: "Bad_Name" } }));
            expect(bad.errors.map((e) => e.propertyPath)).to.include("delegate.name");
        });

        it("emits one DestinationRule and one VirtualService under the component, with exact specs", async () => {
            const canary = new c.Canary("sample-app", args());
            await rec.settled();
            expectTree(rec, [
                ["mesh-traffic:index:Canary", "sample-app", "", ""],
                [DR, "sample-app-dr", "mesh-traffic:index:Canary", "sample-app"],
                [VS, "sample-app-vs", "mesh-traffic:index:Canary", "sample-app"],
            ]);
            const dr = rec.one("sample-app-dr", DR);
            expect(dr.inputs.apiVersion).to.equal("networking.istio.io/v1");
            expect(dr.inputs.metadata).to.deep.equal({ name: "sample-app", namespace: "shop", labels: LABELS });
            expect(spec(dr)).to.deep.equal({
                host: "sample-app",
                // LEAST_CONN is deprecated: emitted as LEAST_REQUEST.
                trafficPolicy: { loadBalancer: { simple: "LEAST_REQUEST" }, outlierDetection: { consecutive5xxErrors: 5, interval: "30s" } },
                subsets: [
                    { name: "stable", labels: { version: "v1" } },
                    { name: "canary", labels: { version: "v2" }, trafficPolicy: { outlierDetection: { consecutiveGatewayErrors: 2, baseEjectionTime: "60s" } } },
                ],
            });
            const d = (subset: string, weight?: number) => ({
                destination: { host: "sample-app", subset, port: { number: 8080 } },
                ...(weight === undefined ? {} : { weight }),
            });
            expect(spec(rec.one("sample-app-vs", VS))).to.deep.equal({
                hosts: ["sample-app"],
                http: [
                    { name: "canary-pin-0", match: [{ headers: { canary: { exact: "true" } } }], route: [d("canary")] },
                    { name: "catch-all", route: [d("stable", 90), d("canary", 10)] },
                ],
            });
            expect(await outputValue(canary.weights)).to.deep.equal({ stable: 90, canary: 10 });
            expect(await outputValue(canary.subsets)).to.deep.equal(["stable", "canary"]);
            expect(await outputValue(canary.hosts)).to.deep.equal(["sample-app"]);
        });

        it("without a canary version: only the stable subset and a stable-only catch-all (pins dropped)", async () => {
            new c.Canary("sample-app", { ...args(), canary: { weight: 0 } });
            await rec.settled();
            const dr = spec(rec.one("sample-app-dr", DR)) as { subsets: unknown[] };
            expect(dr.subsets).to.deep.equal([{ name: "stable", labels: { version: "v1" } }]);
            expect(spec(rec.one("sample-app-vs", VS))).to.deep.equal({
                hosts: ["sample-app"],
                http: [{ name: "catch-all", route: [{ destination: { host: "sample-app", subset: "stable", port: { number: 8080 } } }] }],
            });
        });

        it("rejects every bad input at once, before registering anything", () => {
            const err = thrown(
                () =>
                    new c.Canary("sample-app", {
                        ...args(),
                        hosts: ["*"],
                        canary: { version: "v2", weight: 120 },
                        timeout: "0s",
                        extraSubsets: [{ name: "stable", version: "v9" }],
                    }),
            );
            expect(err.code).to.equal("MESH_INVALID_ARGS");
            expect(err.errors).to.deep.equal([
                {
                    propertyPath: "hosts[0]",
                    reason: 'hosts[0] is "*"; it must be a specific host: "*" in a mesh VirtualService captures every host in the mesh; name the service',
                },
                {
                    propertyPath: "extraSubsets[0].name",
                    reason: 'extraSubsets[0].name is "stable", a subset name that is already defined; each subset name must be unique (stable and canary are reserved)',
                },
                { propertyPath: "canary.weight", reason: "canary.weight is 120; it must be an integer from 0 to 100" },
                { propertyPath: "timeout", reason: 'timeout is "0s"; it must be a duration of at least 1ms, such as "1ms" or "5s"' },
            ]);
            expect(err.message).to.contain('mesh-traffic:index:Canary "sample-app" has 4 invalid arguments');
            expect(rec.resources).to.deep.equal([]);
        });

        it("rejects an empty host list", () => {
            const err = thrown(() => new c.Canary("sample-app", { ...args(), hosts: [] }));
            expect(err.errors).to.deep.equal([{ propertyPath: "hosts", reason: 'hosts is []; it must be a list of at least one host, such as ["sample-app"]' }]);
        });
    });

    describe("CircuitBreaker", () => {
        it("emits one DestinationRule with the policy, per-subset overrides and ISTIO_MUTUAL", async () => {
            new c.CircuitBreaker("reviews", {
                namespace: "shop",
                host: "reviews",
                trafficPolicy: {
                    connectionPool: { tcp: { maxConnections: 50, tcpKeepalive: { time: "7200s", interval: "75s" } }, http: { http1MaxPendingRequests: 25 } },
                    outlierDetection: { consecutive5xxErrors: 5, maxEjectionPercent: 50 },
                    tls: { mode: "ISTIO_MUTUAL" },
                },
                subsets: [{ name: "v2", version: "v2", trafficPolicy: { loadBalancer: { simple: "RANDOM" } } }],
                claims: new c.DestinationRuleClaims(),
            });
            await rec.settled();
            expectTree(rec, [
                ["mesh-traffic:index:CircuitBreaker", "reviews", "", ""],
                [DR, "reviews-dr", "mesh-traffic:index:CircuitBreaker", "reviews"],
            ]);
            expect(spec(rec.one("reviews-dr"))).to.deep.equal({
                host: "reviews",
                trafficPolicy: {
                    connectionPool: { tcp: { maxConnections: 50, tcpKeepalive: { time: "7200s", interval: "75s" } }, http: { http1MaxPendingRequests: 25 } },
                    outlierDetection: { consecutive5xxErrors: 5, maxEjectionPercent: 50 },
                    tls: { mode: "ISTIO_MUTUAL" },
                },
                subsets: [{ name: "v2", labels: { version: "v2" }, trafficPolicy: { loadBalancer: { simple: "RANDOM" } } }],
            });
        });

        it("rejects a second DestinationRule for a host a Canary already claims, naming both", () => {
            const claims = new c.DestinationRuleClaims();
            new c.Canary("sample-app", { namespace: "shop", service: "sample-app", stable: { version: "v1" }, claims });
            const err = thrown(
                () => new c.CircuitBreaker("cb", { namespace: "shop", host: "sample-app.shop.svc.cluster.local", trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } }, claims }),
            );
            expect(err.errors).to.deep.equal([
                {
                    propertyPath: "host",
                    reason:
                        'host is "sample-app.shop.svc.cluster.local", whose DestinationRule in namespace "shop" is already claimed by mesh-traffic:index:Canary "sample-app"; ' +
                        'mesh-traffic:index:CircuitBreaker "cb" cannot emit a second one (Istio does not merge them reliably): pass the circuit breaker as the Canary\'s trafficPolicy instead',
                },
            ]);
        });

        it("rejects bad durations, counts and percentages in the policy", () => {
            const err = thrown(
                () =>
                    new c.CircuitBreaker("cb", {
                        namespace: "shop",
                        host: "reviews",
                        trafficPolicy: { connectionPool: { tcp: { connectTimeout: "1d", maxConnections: 0 } }, outlierDetection: { maxEjectionPercent: 150 } },
                        claims: new c.DestinationRuleClaims(),
                    }),
            );
            expect(err.errors.map((e) => e.propertyPath)).to.deep.equal([
                "trafficPolicy.connectionPool.tcp.maxConnections",
                "trafficPolicy.connectionPool.tcp.connectTimeout",
                "trafficPolicy.outlierDetection.maxEjectionPercent",
            ]);
            expect(err.errors[1]?.reason).to.equal(
                'trafficPolicy.connectionPool.tcp.connectTimeout is "1d"; it must be a Go-style duration such as "500ms", "30s" or "1m30s" (units h, m, s, ms, us, ns)',
            );
        });
    });

    describe("IngressGateway", () => {
        const args = (): Components.IngressGatewayArgs => ({
            namespace: "production",
            hosts: ["sample-app.hashfoundry.com"],
            tls: { mode: "SIMPLE", credentialName: "sample-app-tls" },
            routes: [
                { prefix: "/api", host: "sample-app", port: 8080, weights: { stable: 90, canary: 10 } },
                { prefix: "/", host: "sample-app-frontend", port: 80 },
            ],
        });

        it("emits the Gateway (80 redirects, 443 SIMPLE) and the bound VirtualService, canary weighted (IST0140)", async () => {
            const ing = new c.IngressGateway("ingress", args());
            await rec.settled();
            expectTree(rec, [
                ["mesh-traffic:index:IngressGateway", "ingress", "", ""],
                [GW, "ingress-gateway", "mesh-traffic:index:IngressGateway", "ingress"],
                [VS, "ingress-vs", "mesh-traffic:index:IngressGateway", "ingress"],
            ]);
            const hosts = ["sample-app.hashfoundry.com"];
            expect(spec(rec.one("ingress-gateway"))).to.deep.equal({
                selector: { istio: "ingressgateway" },
                servers: [
                    { port: { number: 80, name: "http", protocol: "HTTP" }, hosts, tls: { httpsRedirect: true } },
                    { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts, tls: { mode: "SIMPLE", credentialName: "sample-app-tls" } },
                ],
            });
            expect(spec(rec.one("ingress-vs"))).to.deep.equal({
                hosts,
                gateways: ["production/ingress"],
                http: [
                    {
                        name: "route-0",
                        match: [{ uri: { prefix: "/api" } }],
                        route: [
                            { destination: { host: "sample-app", subset: "stable", port: { number: 8080 } }, weight: 90 },
                            { destination: { host: "sample-app", subset: "canary", port: { number: 8080 } }, weight: 10 },
                        ],
                    },
                    { name: "route-1", match: [{ uri: { prefix: "/" } }], route: [{ destination: { host: "sample-app-frontend", port: { number: 80 } } }] },
                ],
            });
            expect(await outputValue(ing.gatewayRef)).to.equal("production/ingress");
        });

        it("a route carrying a Canary's httpRoutes routes gateway traffic like the mesh: the Canary's routes under the prefix", async () => {
            const canary = new c.Canary("sample-app", {
                namespace: "production",
                service: "sample-app",
                port: 8080,
                stable: { version: "v1" },
                canary: { version: "v2", weight: 10 },
                pins: [{ header: "x-canary", exact: "true" }],
                timeout: "10s",
                claims: new c.DestinationRuleClaims(),
            });
            new c.IngressGateway("ingress", { ...args(), routes: [{ prefix: "/api", host: "sample-app", port: 8080, routes: canary.httpRoutes }] });
            await rec.settled();
            const meshHttp = (spec(rec.one("sample-app-vs")) as { http: unknown[] }).http;
            expect(await outputValue(canary.httpRoutes)).to.deep.equal(meshHttp);
            const to = (subset: string, weight?: number) => ({ destination: { host: "sample-app", subset, port: { number: 8080 } }, ...(weight === undefined ? {} : { weight }) });
            expect((spec(rec.one("ingress-vs")) as { http: unknown[] }).http).to.deep.equal([
                { name: "route-0-canary-pin-0", match: [{ uri: { prefix: "/api" }, headers: { "x-canary": { exact: "true" } } }], route: [to("canary")], timeout: "10s" },
                { name: "route-0-catch-all", match: [{ uri: { prefix: "/api" } }], route: [to("stable", 90), to("canary", 10)], timeout: "10s" },
            ]);
        });

        it("rejects MUTUAL TLS without credentialName and a port out of range", () => {
            const err = thrown(() => new c.IngressGateway("ingress", { ...args(), tls: { mode: "MUTUAL", credentialName: "" }, httpsPort: 70000 }));
            expect(err.errors).to.deep.equal([
                { propertyPath: "httpsPort", reason: "httpsPort is 70000; it must be an integer from 1 to 65535" },
                {
                    propertyPath: "tls.credentialName",
                    reason: 'tls.credentialName is ""; MUTUAL TLS needs the name of the Secret with the certificate, such as "sample-app-tls"',
                },
            ]);
        });
    });

    describe("InternalGateway", () => {
        it("emits an HTTP Gateway and, with routes, a bound VirtualService", async () => {
            new c.InternalGateway("internal", {
                namespace: "shop",
                hosts: ["*.shop.svc.cluster.local"],
                routes: [{ prefix: "/", host: "sample-app", port: 8080 }],
            });
            await rec.settled();
            expectTree(rec, [
                ["mesh-traffic:index:InternalGateway", "internal", "", ""],
                [GW, "internal-gateway", "mesh-traffic:index:InternalGateway", "internal"],
                [VS, "internal-vs", "mesh-traffic:index:InternalGateway", "internal"],
            ]);
            expect(spec(rec.one("internal-gateway"))).to.deep.equal({
                selector: { istio: "internalgateway" },
                servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*.shop.svc.cluster.local"] }],
            });
            expect(spec(rec.one("internal-vs"))).to.deep.equal({
                hosts: ["*.shop.svc.cluster.local"],
                gateways: ["shop/internal"],
                http: [{ name: "route-0", match: [{ uri: { prefix: "/" } }], route: [{ destination: { host: "sample-app", port: { number: 8080 } } }] }],
            });
        });

        it("without routes: the Gateway only", async () => {
            const gw = new c.InternalGateway("internal", { namespace: "shop", hosts: ["*.shop.svc.cluster.local"] });
            await rec.settled();
            expect(rec.byType(VS)).to.deep.equal([]);
            expect(gw.virtualService).to.equal(undefined);
        });
    });

    describe("EgressGateway", () => {
        it("emits the TLS-passthrough recipe: ServiceEntry, Gateway, DR subset, two-hop VirtualService, Sidecar", async () => {
            new c.EgressGateway("egress", {
                namespace: "production",
                hosts: [{ host: "api.external-service.com" }],
                registryOnly: true,
                claims: new c.DestinationRuleClaims(),
            });
            await rec.settled();
            const parent = ["mesh-traffic:index:EgressGateway", "egress"];
            expectTree(rec, [
                ["mesh-traffic:index:EgressGateway", "egress", "", ""],
                [GW, "egress-gateway", ...parent],
                [DR, "egress-dr", ...parent],
                [SE, "egress-se-api-external-service-com", ...parent],
                [VS, "egress-vs-api-external-service-com", ...parent],
                [SC, "egress-sidecar", ...parent],
            ]);
            const gws = "istio-egressgateway.istio-system.svc.cluster.local";
            expect(spec(rec.one("egress-gateway"))).to.deep.equal({
                selector: { istio: "egressgateway" },
                servers: [{ port: { number: 443, name: "tls-443", protocol: "TLS" }, hosts: ["api.external-service.com"], tls: { mode: "PASSTHROUGH" } }],
            });
            expect(spec(rec.one("egress-dr"))).to.deep.equal({ host: gws, subsets: [{ name: "external" }] });
            expect(spec(rec.one("egress-se-api-external-service-com"))).to.deep.equal({
                hosts: ["api.external-service.com"],
                ports: [{ number: 443, name: "tls-443", protocol: "TLS" }],
                location: "MESH_EXTERNAL",
                resolution: "DNS",
            });
            expect(spec(rec.one("egress-vs-api-external-service-com"))).to.deep.equal({
                hosts: ["api.external-service.com"],
                gateways: ["mesh", "production/egress"],
                tls: [
                    {
                        match: [{ gateways: ["mesh"], port: 443, sniHosts: ["api.external-service.com"] }],
                        route: [{ destination: { host: gws, subset: "external", port: { number: 443 } } }],
                    },
                    {
                        match: [{ gateways: ["production/egress"], port: 443, sniHosts: ["api.external-service.com"] }],
                        route: [{ destination: { host: "api.external-service.com", port: { number: 443 } } }],
                    },
                ],
            });
            expect(spec(rec.one("egress-sidecar"))).to.deep.equal({ outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } });
            expect((rec.one("egress-sidecar").inputs.metadata as { name: string }).name).to.equal("default");
        });

        it("rejects a wildcard host, a duplicate host and a port out of range", () => {
            const err = thrown(
                () =>
                    new c.EgressGateway("egress", {
                        namespace: "production",
                        hosts: [{ host: "*.example.com" }, { host: "api.example.com", port: 0 }, { host: "api.example.com" }],
                        claims: new c.DestinationRuleClaims(),
                    }),
            );
            expect(err.errors.map((e) => e.reason)).to.deep.equal([
                'hosts[0].host is "*.example.com"; it must be a DNS name without wildcard (resolution DNS needs a real name)',
                "hosts[1].port is 0; it must be an integer from 1 to 65535",
                'external host name "api.example.com" is defined more than once; each external host name must be unique',
            ]);
        });
    });

    describe("Workloads", () => {
        it("emits one Deployment per version (named by version) and one Service, skipAwait annotated", async () => {
            new c.Workloads("sample-app", {
                namespace: "mesh-dev",
                app: "sample-app",
                versions: [
                    { version: "v1", image: "img:v1", replicas: 0 },
                    { version: "v2", image: "img:v2" },
                ],
                skipAwait: true,
            });
            await rec.settled();
            const parent = ["mesh-traffic:index:Workloads", "sample-app"];
            expectTree(rec, [
                ["mesh-traffic:index:Workloads", "sample-app", "", ""],
                [DEPLOYMENT, "sample-app-v1", ...parent],
                [DEPLOYMENT, "sample-app-v2", ...parent],
                [SERVICE, "sample-app-service", ...parent],
            ]);
            const v1 = rec.one("sample-app-v1");
            const labels = { ...LABELS, app: "sample-app", version: "v1" };
            expect(v1.inputs.metadata).to.deep.equal({ name: "sample-app-v1", namespace: "mesh-dev", labels, annotations: { "pulumi.com/skipAwait": "true" } });
            expect(v1.inputs.spec).to.deep.equal({
                // replicas 0 stays 0 (`??`, not `||`).
                replicas: 0,
                selector: { matchLabels: { app: "sample-app", version: "v1" } },
                template: {
                    metadata: { labels },
                    spec: { containers: [{ name: "sample-app", image: "img:v1", ports: [{ name: "http", containerPort: 8080 }] }] },
                },
            });
            expect((rec.one("sample-app-v2").inputs.spec as { replicas: number }).replicas).to.equal(1);
            expect(rec.one("sample-app-service").inputs.spec).to.deep.equal({
                selector: { app: "sample-app" },
                ports: [{ name: "http", port: 8080, targetPort: 8080 }],
            });
        });

        it("rejects duplicate versions and an empty image", () => {
            const err = thrown(
                () =>
                    new c.Workloads("sample-app", {
                        namespace: "mesh-dev",
                        app: "sample-app",
                        versions: [
                            { version: "v1", image: "" },
                            { version: "v1", image: "img" },
                        ],
                    }),
            );
            expect(err.errors).to.deep.equal([
                { propertyPath: "versions[1]", reason: 'version name "v1" is defined more than once; each version name must be unique' },
                { propertyPath: "versions[0].image", reason: "versions[0].image is \"\"; it must be a non-empty string" },
            ]);
        });
    });
});
