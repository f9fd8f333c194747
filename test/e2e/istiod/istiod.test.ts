/**
 * What istiod makes of our objects: the stack's objects (our program, real engine) read by a real istiod (pilot-
 * discovery built from the pinned istio.io/istio module, running outside the cluster against the local kube-
 * apiserver), and the Envoy configuration it serves over xDS to a client proxy of the namespace and to the ingress
 * and egress gateway proxies, compared with hand-written expectations (./expected.ts); for the tcp service `ledger`,
 * the tcp_proxy of its listener, weighted 80/20 to the subset clusters.
 *
 * Real: our objects, the API server, istiod's translation and its xDS server. Standing in: the proxies (our xDS
 * client, test/support/../sim/xds/client.ts, speaks for a sidecar and two gateways; no Envoy runs) and the pods
 * (a WorkloadEntry per Deployment, test/support/istiod.ts).
 */
import { expect } from "chai";
import { connectCluster } from "../../support/cluster";
import { ensureIstiod, IstiodDebug, startEndpointStandIn, type EndpointStandIn, type IstiodHandle } from "../../support/istiod";
import { projectStack, type ProjectStack } from "../../support/pulumiProject";
import { gatewayNode, httpConnectionManagers, sidecarNode, TYPE, XdsClient, type Resource } from "../../../sim/xds/client";
import { endpointVersions, findVirtualHost } from "../../../sim/xds/plan";
import { ensureCreated } from "../stack/kubeRaw";
import { freePort } from "../../support/prometheus";
import { grpcBootstrap, ProxylessClient, startVersionServers, withinBinomial, type VersionServers } from "./proxyless";
import {
    cluster,
    EGRESS_GATEWAY_CLUSTER,
    EXPECTED_CLUSTER_POLICY,
    GATEWAY_LISTENER_PORTS,
    HASH_POLICY,
    expectedGatewayRoutes,
    expectedMeshRoutes,
    EXTERNAL,
    EXTERNAL_CLUSTER,
    sniChain,
    INGRESS_HOST,
    ISTIOD_EDIT,
    RETRY,
    routeParts,
    serviceClusterIp,
    TCP_PORT,
    TCP_SERVICE,
    tcpProxiesOn,
    TIMEOUT,
} from "./expected";

const SERVICE = "sample-app";

/** Route summary as compared: name, header matches, forward action (cluster or weighted clusters), fault. */
function summarize(route: Resource): { name: string; headers: unknown[]; action: Record<string, unknown>; fault?: unknown } {
    const { headers, cluster: to, weighted } = routeParts(route);
    const fwd: Record<string, unknown> = {};
    if (to !== undefined) fwd["cluster"] = to;
    if (weighted !== undefined) fwd["weightedClusters"] = { clusters: weighted };
    const fault = ((route["typedPerFilterConfig"] ?? {}) as Record<string, Resource>)["envoy.filters.http.fault"];
    const out: { name: string; headers: unknown[]; action: Record<string, unknown>; fault?: unknown } = { name: String(route["name"]), headers, action: fwd };
    if (fault !== undefined) {
        const { "@type": _t, ...rest } = fault;
        out.fault = rest;
    }
    return out;
}

describe("istiod translates the stack's objects (real istiod, xDS as a sidecar and the gateways see it)", function () {
    this.timeout(600_000);
    const started = Date.now();
    let istiod: IstiodHandle;
    let debug: IstiodDebug;
    let project: ProjectStack | undefined;
    let ns = "";
    let standIn: EndpointStandIn | undefined;
    let logOffset = 0;
    const clients: XdsClient[] = [];
    let sidecar: XdsClient;
    let ingress: XdsClient;
    let egress: XdsClient;
    let servers: VersionServers | undefined;
    const versionPorts: Record<string, number> = {};

    before(async function () {
        this.timeout(1_900_000); // on a cold machine this waits for the background pilot-discovery build
        istiod = await ensureIstiod();
        debug = new IstiodDebug(istiod);
        logOffset = debug.logOffset();
        const kc = connectCluster().kubeConfig;
        // The gateways' Services (Istio's default install): the egress route needs the egress gateway's host.
        await ensureCreated(kc, { apiVersion: "v1", kind: "Namespace", metadata: { name: "istio-system" } });
        for (const kind of ["ingress", "egress"]) {
            await ensureCreated(kc, {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: `istio-${kind}gateway`, namespace: "istio-system", labels: { istio: `${kind}gateway` } },
                spec: { selector: { istio: `${kind}gateway` }, ports: [{ name: "http2", port: 80, targetPort: 8080 }, { name: "https", port: 443, targetPort: 8443 }] },
            });
        }
        project = await projectStack({ edit: ISTIOD_EDIT });
        ns = project.namespace;
        versionPorts["v1"] = await freePort();
        versionPorts["v2"] = await freePort();
        standIn = await startEndpointStandIn(kc, ns, { portFor: (v) => versionPorts[v] ?? 1 });
        await project.stack.up({ onOutput: project.log });
        await standIn.sync();
        const gw = (kind: string, i: number): XdsClient =>
            new XdsClient({
                address: istiod.xdsAddress,
                node: gatewayNode({ namespace: "istio-system", podName: `istio-${kind}gateway-e2e`, ip: `10.254.0.${i}`, labels: { istio: `${kind}gateway`, app: `istio-${kind}gateway` } }),
            });
        sidecar = new XdsClient({ address: istiod.xdsAddress, node: sidecarNode({ namespace: ns, podName: "client-e2e", ip: "10.254.1.1", labels: { app: "client" } }) });
        ingress = gw("ingress", 1);
        egress = gw("egress", 2);
        clients.push(sidecar, ingress, egress);
    });

    after(async function () {
        this.timeout(300_000);
        clients.forEach((c) => c.close());
        await servers?.stop();
        await standIn?.stop();
        await project?.dispose();
        console.log(`    istiod e2e: ${Math.round((Date.now() - started) / 1000)} s in all (namespace ${ns}; istiod started in ${istiod?.startupMs} ms)`);
    });

    it("istiod selects the stand-in endpoints by their version label: one per subset cluster", async () => {
        const got = await sidecar.waitFor("endpoints of both subsets", (c) => {
            const cla = c.resources(TYPE.endpoint);
            const of = (subset: "stable" | "canary"): string[] => endpointVersions(cla.find((e) => e["clusterName"] === cluster(ns, subset)));
            const r = { stable: of("stable"), canary: of("canary") };
            return r.stable.length > 0 && r.canary.length > 0 ? r : undefined;
        });
        expect(got).to.deep.equal({ stable: ["v1"], canary: ["v2"] });
    });

    it("client proxy routes: the x-fault route, the header pin and the A/B flag before the catch-all; weights 75/25; faults; retries and timeout on every forward", async () => {
        const vh = await sidecar.waitFor("the sample-app virtual host", (c) => findVirtualHost(c.resources(TYPE.route), { name: SERVICE, namespace: ns }, 8080));
        const routes = (vh["routes"] ?? []) as Resource[];
        expect(routes.map(summarize)).to.deep.equal(expectedMeshRoutes(ns, 25));
        for (const r of routes) {
            const action = r["route"] as Resource;
            expect(action["timeout"], `timeout of ${String(r["name"])}`).to.equal(TIMEOUT);
            expect(action["retryPolicy"], `retry policy of ${String(r["name"])}`).to.deep.include(RETRY);
            // istiod adds the destination rule's hash policy once per destination cluster of the route.
            const destinations = action["weightedClusters"] === undefined ? 1 : ((action["weightedClusters"] as Resource)["clusters"] as unknown[]).length;
            expect(action["hashPolicy"], `hash policy of ${String(r["name"])}`).to.deep.equal(Array.from({ length: destinations }, () => HASH_POLICY[0]));
        }
    });

    it("clusters carry the DestinationRule's outlier detection, connection pool limits and load balancer", async () => {
        const clusters = await sidecar.waitFor("the subset clusters", (c) => {
            const all = c.resources(TYPE.cluster);
            const s = all.find((x) => x["name"] === cluster(ns, "stable"));
            const k = all.find((x) => x["name"] === cluster(ns, "canary"));
            return s !== undefined && k !== undefined ? [s, k] : undefined;
        });
        for (const c of clusters) {
            expect(c["type"], String(c["name"])).to.equal(EXPECTED_CLUSTER_POLICY.type);
            expect(c["lbPolicy"], String(c["name"])).to.equal(EXPECTED_CLUSTER_POLICY.lbPolicy);
            expect((c["circuitBreakers"] as Resource)["thresholds"], String(c["name"])).to.have.length(1);
            expect(((c["circuitBreakers"] as Resource)["thresholds"] as Resource[])[0]).to.deep.include(EXPECTED_CLUSTER_POLICY.circuitBreakers.thresholds[0]!);
            expect(c["outlierDetection"], String(c["name"])).to.deep.include(EXPECTED_CLUSTER_POLICY.outlierDetection);
        }
    });

    it(`tcp service (VirtualService tcp route): the client proxy's listener of its cluster IP and port ${TCP_PORT} holds one tcp_proxy, weighted 80/20 to the stable and canary subset clusters`, async () => {
        const subset = (s: string): string => `outbound|${TCP_PORT}|${s}|${TCP_SERVICE}.${ns}.svc.cluster.local`;
        const ip = await serviceClusterIp(connectCluster().kubeConfig, ns, TCP_SERVICE);
        const proxies = await sidecar.waitFor(`a weighted tcp_proxy on ${TCP_SERVICE}'s listener ${ip}:${TCP_PORT}`, (c) => {
            const got = tcpProxiesOn(c.resources(TYPE.listener), ip, TCP_PORT);
            return got.some((p) => p.weightedClusters !== undefined) ? got : undefined;
        });
        console.log(`    [issue note] sidecar tcp_proxy of ${TCP_SERVICE} (${ip}:${TCP_PORT}; istio): ${JSON.stringify(proxies)}`);
        // Without the VirtualService istiod sends one tcp_proxy to the Service's own cluster (outbound|9000||ledger...).
        expect(proxies, JSON.stringify(proxies)).to.deep.equal([{ weightedClusters: [{ name: subset("stable"), weight: 80 }, { name: subset("canary"), weight: 20 }] }]);
        const names = sidecar.resources(TYPE.cluster).map((c) => c["name"]);
        expect(names, "the subset clusters from the DestinationRule").to.include.members([subset("stable"), subset("canary")]);
    });

    it("egress: the client proxy sends api.external-service.com (SNI) to the egress gateway, which sends it to the external host", async () => {
        const mesh = await sidecar.waitFor("the SNI chain to the egress gateway", (c) => sniChain(c.resources(TYPE.listener), 443, EXTERNAL));
        expect(mesh.cluster).to.equal(EGRESS_GATEWAY_CLUSTER);
        expect(sidecar.resources(TYPE.cluster).map((c) => c["name"])).to.include(EGRESS_GATEWAY_CLUSTER);
        const gw = await egress.waitFor("the egress gateway's SNI chain", (c) => sniChain(c.resources(TYPE.listener), GATEWAY_LISTENER_PORTS[1]!, EXTERNAL));
        expect(gw.cluster).to.equal(EXTERNAL_CLUSTER);
        const ext = egress.resources(TYPE.cluster).find((c) => c["name"] === EXTERNAL_CLUSTER);
        expect(ext?.["type"], "the external host is resolved by DNS").to.be.oneOf(["STRICT_DNS", "LOGICAL_DNS"]);
    });

    it("ingress gateway: HTTP redirects to HTTPS; HTTPS routes / with sample-app's routes, as the mesh: the x-fault route, the pin and the A/B flag before the 75/25 split; retries and timeout on every forward", async () => {
        const hosts = await ingress.waitFor("the ingress virtual hosts", (c) => {
            const rcs = c.resources(TYPE.route);
            const pick = (prefix: string): Resource | undefined =>
                rcs.filter((rc) => String(rc["name"]).startsWith(prefix))
                    .flatMap((rc) => (rc["virtualHosts"] ?? []) as Resource[])
                    .find((vh) => ((vh["domains"] ?? []) as string[]).includes(INGRESS_HOST));
            const http = pick("http.");
            const https = pick("https.");
            return http !== undefined && https !== undefined ? { http, https } : undefined;
        });
        expect(hosts.http["requireTls"], "port 80 redirects to HTTPS").to.equal("ALL");
        const routes = (hosts.https["routes"] ?? []) as Resource[];
        expect(routes.map(summarize)).to.deep.equal(expectedGatewayRoutes(ns, 25));
        expect(routes.map((r) => (r["match"] as Resource)["prefix"]), "each under the ingress route's prefix").to.deep.equal(routes.map(() => "/"));
        for (const r of routes) {
            const action = r["route"] as Resource;
            expect(action["timeout"], `timeout of ${String(r["name"])}`).to.equal(TIMEOUT);
            expect(action["retryPolicy"], `retry policy of ${String(r["name"])}`).to.deep.include(RETRY);
        }
        const listeners = ingress.resources(TYPE.listener).map((l) => ((l["address"] as Resource)["socketAddress"] as Resource)["portValue"]);
        expect(listeners).to.include.members(GATEWAY_LISTENER_PORTS);
        expect(ingress.resources(TYPE.listener).flatMap(httpConnectionManagers).length).to.be.greaterThan(0);
    });

    it("proxyless gRPC (@grpc/grpc-js-xds, istiod's gRPC generator): real calls split 75/25, the pin and the A/B flag reach v2, x-fault gets the abort and the delay", async function () {
        this.timeout(120_000);
        servers = await startVersionServers(versionPorts);
        process.env["GRPC_XDS_BOOTSTRAP_CONFIG"] = JSON.stringify(grpcBootstrap(istiod.xdsAddress, ns));
        const xds = await import("@grpc/grpc-js-xds");
        xds.register();
        const client = new ProxylessClient(`xds:///${SERVICE}.${ns}.svc.cluster.local:8080`);
        try {
            const first = await client.call();
            expect(first.code, "the first call through xDS").to.equal(0);
            const N = 400;
            const plain = await Promise.all(Array.from({ length: N }, () => client.call()));
            const v2 = plain.filter((r) => r.version === "v2").length;
            expect(plain.filter((r) => r.code !== 0), "failed plain calls").to.deep.equal([]);
            expect(withinBinomial(v2, N, 0.25), `${v2} of ${N} calls reached v2; 25 % within 4.5 sd`).to.equal(true);
            const pinned = await Promise.all(Array.from({ length: 20 }, () => client.call({ canary: "true" })));
            expect(new Set(pinned.map((r) => r.version)), "header pin canary: true").to.deep.equal(new Set(["v2"]));
            const flagged = await Promise.all(Array.from({ length: 20 }, () => client.call({ "x-new-feature": "enabled" })));
            expect(new Set(flagged.map((r) => r.version)), "A/B flag x-new-feature: enabled").to.deep.equal(new Set(["v2"]));
            const F = 200;
            const faulty = await Promise.all(Array.from({ length: F }, () => client.call({ "x-fault": "on" })));
            const aborted = faulty.filter((r) => r.code === 14).length; // HTTP 503 -> UNAVAILABLE
            const delayed = faulty.filter((r) => r.code === 0 && r.ms >= 1900).length;
            const ok = faulty.filter((r) => r.code === 0).length;
            console.log(`    [issue note] proxyless gRPC: ${v2}/${N} plain calls to v2; x-fault: ${aborted}/${F} aborted (UNAVAILABLE), ${delayed}/${ok} answered calls delayed >= 1.9 s`);
            expect(withinBinomial(aborted, F, 0.1), `${aborted} of ${F} x-fault calls aborted; 10 % within 4.5 sd`).to.equal(true);
            expect(withinBinomial(delayed, ok, 0.5), `${delayed} of ${ok} answered x-fault calls delayed; 50 % within 4.5 sd`).to.equal(true);
        } finally {
            client.close();
        }
    });

    it("istiod reports the namespace synced and nothing rejected, ignored or conflicting (sync status, push status, log)", async () => {
        await debug.waitSynced(ns, [], 30_000);
        const push = JSON.stringify(await debug.pushStatus());
        expect(push.includes(ns) ? push : "", "push status entries naming our namespace").to.equal("");
        // "no instances found for <proxy>": our stand-in proxies have no workload behind them (a property of the test
        // rig, not of the config); every other warning or error naming the namespace counts, NACKs included.
        const problems = debug.problemsFor(ns, logOffset).filter((l) => !/failed to get proxy service targets from metadata: no instances found for/.test(l));
        expect(problems, "istiod log warnings/errors naming our namespace").to.deep.equal([]);
    });
});
