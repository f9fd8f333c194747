/**
 * `routingApi: gateway-api` on the real engine, read by a real istiod (Gateway API on, scripts/local-cluster.sh):
 * the stack's HTTPRoutes, Gateway and version Services (our program, Pulumi CLI, local kube-apiserver with the
 * pinned Gateway API CRDs) and what istiod serves over xDS for them to a client proxy of the namespace (GAMMA: the
 * mesh HTTPRoute attached to the Service) and to the ingress gateway, compared with hand-written expectations.
 *
 * The stack: Pulumi.dev.yaml in gateway-api mode (its retries left out: refused in this mode), canary
 * weight 25, the A/B flag `x-new-feature: enabled`, and a URI route `/api` to stable, so that the pin and the flag
 * must win on `/api` too (the Gateway API orders rules by path length before headers: each is matched on every
 * prefix, components/gatewayApiPlan.ts). Its egress host is the Gateway API's egress (components/gatewayApiEgressPlan.ts:
 * ServiceEntry, TLS passthrough Gateway `egress`, TLSRoutes), checked on the client proxy and the egress gateway node
 * as test/e2e/istiod/istiod.test.ts checks the Istio mode's egress for the same host; and an internal gateway (plain
 * HTTP, `/` to sample-app), checked on its gateway node. Beside sample-app, a tcp service `ledger` (a TCPRoute: the
 * sidecar's listener of its cluster IP gets one tcp_proxy weighted 80/20 to the version Services' clusters) and a grpc
 * service `greeter` (a GRPCRoute: its pin, then the 80/20 split, on the sidecar's route config).
 *
 * Then per-service stacks in this mode (a platform stack owning the Gateway, a service stack owning its HTTPRoutes, one
 * project): the service stack's HTTPRoute attached to the platform's Gateway by parentRef, and istiod serving its
 * rules and split to the ingress gateway node.
 *
 * Standing in: the proxies (our xDS client, sim/xds/client.ts), the pods (a WorkloadEntry per Deployment), the
 * gateways' Deployments (istiod's gateway deployment controller is off here): their Services `ingress-istio` and
 * `egress-istio` (the names istiod gives a managed Gateway's Service) select the stand-in gateway proxies by their labels.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import { connectCluster, type KubeObject } from "../../support/cluster";
import { exampleEnvironment } from "../../support/environments";
import { ensureIstiod, IstiodDebug, startEndpointStandIn, type EndpointStandIn, type IstiodHandle } from "../../support/istiod";
import { createProjectDir, projectStack, type PlainConfig, type ProjectStack } from "../../support/pulumiProject";
import { gatewayNode, sidecarNode, TYPE, XdsClient, type Resource } from "../../../sim/xds/client";
import { findVirtualHost } from "../../../sim/xds/plan";
import { deleteRaw, ensureCreated } from "../stack/kubeRaw";
import { EXTERNAL, EXTERNAL_CLUSTER, GATEWAY_LISTENER_PORTS, protocolService, serviceClusterIp, sniChain, summarize, TCP_PORT, TCP_SERVICE, tcpProxiesOn, type RouteSummary } from "./expected";

const SERVICE = "sample-app";
const INGRESS_HOST = "sample-app.mesh-dev.local";
const INTERNAL_HOST = "sample-app.internal.mesh-dev.local";

/** Beside sample-app, a grpc service (GRPCRoute) and the tcp service of ./expected.ts (TCPRoute), each canary at 20 %. */
const GRPC_SERVICE = "greeter";
const GRPC_PORT = 9090;

/** Config edits on top of Pulumi.dev.yaml. */
function GATEWAY_API_EDIT(c: Record<string, unknown>): void {
    c["routingApi"] = "gateway-api";
    const svc = (c["services"] as Record<string, Record<string, unknown>>)[SERVICE] as Record<string, unknown>;
    (svc["canary"] as Record<string, unknown>)["weight"] = 25;
    delete svc["retries"];
    svc["abTest"] = { header: "x-new-feature", value: "enabled" };
    svc["uriRoutes"] = [{ prefix: "/api", subset: "stable" }];
    c["internalGateway"] = { enabled: true, hosts: [INTERNAL_HOST], routes: [{ prefix: "/", service: SERVICE }] };
    const services = c["services"] as Record<string, unknown>;
    services[TCP_SERVICE] = protocolService("tcp", TCP_PORT);
    services[GRPC_SERVICE] = { ...protocolService("grpc", GRPC_PORT), pins: [{ header: "x-canary", exact: "always" }] };
}

/** The Envoy cluster of a version Service's port 8080. */
const versionCluster = (ns: string, version: string): string => `outbound|8080||${SERVICE}-${version}.${ns}.svc.cluster.local`;

/** The catch-all's action at canary weight 25: the version Services' clusters, 75/25. */
const split = (ns: string): Record<string, unknown> => ({
    weightedClusters: [
        { name: versionCluster(ns, "v1"), weight: 75 },
        { name: versionCluster(ns, "v2"), weight: 25 },
    ],
});

/**
 * The routes of sample-app as summarized, on every proxy that carries its rules (the sidecar, and the ingress and
 * internal gateways under `/`): the pin and the A/B flag first on every prefix, /api to stable, the split 75/25.
 */
function expectedRoutes(ns: string): RouteSummary[] {
    const pin = [{ name: "canary", stringMatch: { exact: "true" } }];
    const flag = [{ name: "x-new-feature", stringMatch: { exact: "enabled" } }];
    const v1 = { cluster: versionCluster(ns, "v1") };
    const v2 = { cluster: versionCluster(ns, "v2") };
    return [
        { prefix: "/api", headers: pin, action: v2 },
        { prefix: "/api", headers: flag, action: v2 },
        { prefix: "/api", headers: [], action: v1 },
        { prefix: "/", headers: pin, action: v2 },
        { prefix: "/", headers: flag, action: v2 },
        { prefix: "/", headers: [], action: split(ns) },
    ];
}

/** A self-signed certificate and key for the HTTPS listener's Secret (istiod checks the key pair before it serves the listener). */
function selfSignedTls(host: string): { crt: string; key: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-gwapi-tls-"));
    try {
        execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${host}`, "-keyout", path.join(dir, "tls.key"), "-out", path.join(dir, "tls.crt")], { stdio: "ignore" });
        return { crt: fs.readFileSync(path.join(dir, "tls.crt"), "utf8"), key: fs.readFileSync(path.join(dir, "tls.key"), "utf8") };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The TLS Secret `name` of the HTTPS listener in `namespace`, with a self-signed pair for `host`. */
async function createTlsSecret(kc: KubeConfig, namespace: string, name: string, host: string): Promise<void> {
    const tls = selfSignedTls(host);
    await ensureCreated(kc, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace },
        type: "kubernetes.io/tls",
        data: { "tls.crt": Buffer.from(tls.crt).toString("base64"), "tls.key": Buffer.from(tls.key).toString("base64") },
    } as KubeObject); // a Secret's type and data are not in KubeObject, which the tests read
}

/** The labels istiod's managed Gateway `gateway` (default `ingress`) selects its proxies by. */
const gatewayLabels = (gateway = "ingress"): Record<string, string> => ({ "gateway.networking.k8s.io/gateway-name": gateway });

/**
 * The managed Gateway's Service, as istiod's deployment controller would make it, selecting the stand-in proxy; its
 * target ports are where istiod puts the listeners (as Istio's default gateway Service: 80 -> 8080, 443 -> 8443).
 */
async function createGatewayService(kc: KubeConfig, namespace: string, gateway = "ingress"): Promise<void> {
    await ensureCreated(kc, {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: `${gateway}-istio`, namespace },
        spec: { selector: gatewayLabels(gateway), ports: [{ name: "http", port: 80, targetPort: 8080 }, { name: "https", port: 443, targetPort: 8443 }] },
    });
}

/** An xDS client for the stand-in proxy of the managed Gateway `gateway` (default `ingress`) of `namespace`. */
const ingressClient = (istiod: IstiodHandle, namespace: string, ip: string, gateway = "ingress"): XdsClient =>
    new XdsClient({ address: istiod.xdsAddress, node: gatewayNode({ namespace, podName: `${gateway}-istio-e2e`, ip, labels: { ...gatewayLabels(gateway), app: `${gateway}-istio` } }) });

/** The routes of the HTTPS virtual host of `host` on the ingress gateway, once `ready` holds for them. */
async function httpsRoutes(ingress: XdsClient, host: string, ready: (routes: Resource[]) => boolean): Promise<Resource[]> {
    return ingress.waitFor(`the HTTPS virtual host of ${host}`, (c) => {
        const vhs = c.resources(TYPE.route).flatMap((rc) => (rc["virtualHosts"] ?? []) as Resource[]);
        const ours = vhs.filter((vh) => ((vh["domains"] ?? []) as string[]).some((d) => d === host || d.startsWith(`${host}:`)));
        const routes = ours.map((vh) => (vh["routes"] ?? []) as Resource[]).find((rs) => rs.some((r) => r["route"] !== undefined));
        return routes !== undefined && ready(routes) ? routes : undefined;
    }, 60_000);
}

describe("istiod translates the stack's Gateway API objects (routingApi gateway-api; xDS as a sidecar and the ingress gateway see it)", function () {
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
    let internal: XdsClient;
    const secret = (namespace: string) => ({ apiVersion: "v1", kind: "Secret", metadata: { name: "sample-app-tls", namespace } });

    before(async function () {
        this.timeout(1_900_000); // on a cold machine this waits for the background pilot-discovery build
        istiod = await ensureIstiod();
        debug = new IstiodDebug(istiod);
        logOffset = debug.logOffset();
        const kc = connectCluster().kubeConfig;
        project = await projectStack({ edit: GATEWAY_API_EDIT });
        ns = project.namespace;
        standIn = await startEndpointStandIn(kc, ns, { portFor: (v) => (v === "v1" ? 18081 : 18082) });
        await project.stack.up({ onOutput: project.log });
        await standIn.sync();
        await createTlsSecret(kc, ns, secret(ns).metadata.name, INGRESS_HOST);
        await createGatewayService(kc, ns);
        await createGatewayService(kc, ns, "egress");
        await createGatewayService(kc, ns, "internal");
        sidecar = new XdsClient({ address: istiod.xdsAddress, node: sidecarNode({ namespace: ns, podName: "client-e2e", ip: "10.254.3.1", labels: { app: "client" } }) });
        ingress = ingressClient(istiod, ns, "10.254.3.2");
        egress = ingressClient(istiod, ns, "10.254.3.4", "egress");
        internal = ingressClient(istiod, ns, "10.254.3.5", "internal");
        clients.push(sidecar, ingress, egress, internal);
    });

    after(async function () {
        this.timeout(300_000);
        clients.forEach((c) => c.close());
        await standIn?.stop();
        if (ns !== "") await deleteRaw(connectCluster().kubeConfig, secret(ns)).catch(() => undefined);
        await project?.dispose();
        console.log(`    gateway-api e2e: ${Math.round((Date.now() - started) / 1000)} s in all (namespace ${ns})`);
    });

    it("client proxy (GAMMA): the pin and the A/B flag first on every prefix, /api to stable, the catch-all split 75/25 by version Service; timeout on every forward", async () => {
        const vh = await sidecar.waitFor("the sample-app virtual host with the HTTPRoute's routes", (c) => {
            const found = findVirtualHost(c.resources(TYPE.route), { name: SERVICE, namespace: ns }, 8080);
            // The HTTPRoute is in effect once the catch-all's weighted clusters are there.
            const routes = (found?.["routes"] ?? []) as Resource[];
            return routes.some((r) => (r["route"] as Resource | undefined)?.["weightedClusters"] !== undefined) ? found : undefined;
        });
        const routes = (vh["routes"] ?? []) as Resource[];
        const summary = routes.map(summarize);
        console.log(`    [issue note] sidecar routes of sample-app:8080 (gateway-api): ${routes.map((r) => String(r["name"])).join(", ")}`);
        expect(summary, JSON.stringify(summary)).to.deep.equal(expectedRoutes(ns));
        for (const r of routes) {
            expect((r["route"] as Resource)["timeout"], `timeout of ${String(r["name"])}`).to.equal("10s");
        }
    });

    it("the version Services' clusters carry the DestinationRules' policy (outlier detection, connection pool) and their endpoints", async () => {
        const clusters = await sidecar.waitFor("the version Service clusters", (c) => {
            const all = c.resources(TYPE.cluster);
            const got = ["v1", "v2"].map((v) => all.find((x) => x["name"] === versionCluster(ns, v)));
            return got.every((x) => x !== undefined) ? (got as Resource[]) : undefined;
        });
        for (const c of clusters) {
            const thresholds = ((c["circuitBreakers"] as Resource | undefined)?.["thresholds"] ?? []) as Resource[];
            expect(thresholds[0], String(c["name"])).to.deep.include({ maxConnections: 100, maxPendingRequests: 50 });
            expect(c["outlierDetection"], String(c["name"])).to.deep.include({ consecutive_5xx: 5, interval: "30s", baseEjectionTime: "30s", maxEjectionPercent: 50 });
        }
        const endpoints = await sidecar.waitFor("endpoints of both version Services", (c) => {
            const cla = c.resources(TYPE.endpoint);
            const count = (v: string): number =>
                ((cla.find((e) => e["clusterName"] === versionCluster(ns, v))?.["endpoints"] ?? []) as Resource[]).flatMap((l) => (l["lbEndpoints"] ?? []) as unknown[]).length;
            return count("v1") > 0 && count("v2") > 0 ? { v1: count("v1"), v2: count("v2") } : undefined;
        });
        expect(endpoints).to.deep.equal({ v1: 1, v2: 1 });
    });

    it("ingress gateway: the Gateway's listeners 80 and 443 (on the Service's 8080, 8443); HTTP redirects to HTTPS; HTTPS routes / with the service's rules: pin and flag first, /api to stable, the split 75/25", async () => {
        const hosts = await ingress.waitFor("the ingress virtual hosts", (c) => {
            const vhs = c.resources(TYPE.route).flatMap((rc) => (rc["virtualHosts"] ?? []) as Resource[]);
            const ours = vhs.filter((vh) => ((vh["domains"] ?? []) as string[]).some((d) => d === INGRESS_HOST || d.startsWith(`${INGRESS_HOST}:`)));
            const routesOf = (vh: Resource): Resource[] => (vh["routes"] ?? []) as Resource[];
            const http = ours.find((vh) => routesOf(vh).some((r) => r["redirect"] !== undefined));
            const https = ours.find((vh) => routesOf(vh).some((r) => r["route"] !== undefined));
            return http !== undefined && https !== undefined ? { http, https } : undefined;
        }, 60_000);
        const redirect = ((hosts.http["routes"] ?? []) as Resource[]).map((r) => r["redirect"]);
        expect(redirect, JSON.stringify(redirect)).to.have.length(1);
        expect(redirect[0]).to.deep.include({ schemeRedirect: "https" });
        const routes = ((hosts.https["routes"] ?? []) as Resource[]).map(summarize);
        // The ingress HTTPRoute carries the service's mesh rules under its prefix "/": gateway traffic is routed as mesh traffic.
        expect(routes, JSON.stringify(routes)).to.deep.equal(expectedRoutes(ns));
        const ports = ingress.resources(TYPE.listener).map((l) => ((l["address"] as Resource)["socketAddress"] as Resource)["portValue"]);
        expect(ports).to.include.members([8080, 8443]);
    });

    it("egress (TLSRoutes): the client proxy sends api.external-service.com (SNI) to the egress Gateway's Service, whose proxy sends it to the external host, as the Istio mode's egress does", async () => {
        const gatewayCluster = `outbound|443||egress-istio.${ns}.svc.cluster.local`;
        const mesh = await sidecar.waitFor("the SNI chain to the egress gateway", (c) => sniChain(c.resources(TYPE.listener), 443, EXTERNAL));
        expect(mesh.cluster, "the Istio mode's is the subset cluster of istio-egressgateway; here the Gateway's own Service").to.equal(gatewayCluster);
        expect(sidecar.resources(TYPE.cluster).map((c) => c["name"])).to.include(gatewayCluster);
        const gw = await egress.waitFor("the egress gateway's SNI chain", (c) => sniChain(c.resources(TYPE.listener), GATEWAY_LISTENER_PORTS[1]!, EXTERNAL));
        expect(gw.cluster).to.equal(EXTERNAL_CLUSTER);
        const ext = egress.resources(TYPE.cluster).find((c) => c["name"] === EXTERNAL_CLUSTER);
        expect(ext?.["type"], "the external host is resolved by DNS").to.be.oneOf(["STRICT_DNS", "LOGICAL_DNS"]);
    });

    it("internal gateway: its one HTTP listener (80, on the Service's 8080) routes / with the service's rules, as the ingress: pin and flag first, /api to stable, the split 75/25", async () => {
        const routes = (await httpsRoutes(internal, INTERNAL_HOST, (rs) => rs.some((r) => (r["route"] as Resource | undefined)?.["weightedClusters"] !== undefined))).map(summarize);
        expect(routes, JSON.stringify(routes)).to.deep.equal(expectedRoutes(ns));
        const ports = internal.resources(TYPE.listener).map((l) => ((l["address"] as Resource)["socketAddress"] as Resource)["portValue"]);
        expect(ports).to.deep.equal([GATEWAY_LISTENER_PORTS[0]]);
    });

    it(`tcp service (TCPRoute on the Service, GAMMA): the client proxy's listener of its cluster IP and port ${TCP_PORT} holds one tcp_proxy, weighted 80/20 to the version Services' clusters`, async () => {
        const cluster = (v: string): string => `outbound|${TCP_PORT}||${TCP_SERVICE}-${v}.${ns}.svc.cluster.local`;
        const ip = await serviceClusterIp(connectCluster().kubeConfig, ns, TCP_SERVICE);
        const proxies = await sidecar.waitFor(`a weighted tcp_proxy on ${TCP_SERVICE}'s listener ${ip}:${TCP_PORT}`, (c) => {
            const got = tcpProxiesOn(c.resources(TYPE.listener), ip, TCP_PORT);
            return got.some((p) => p.weightedClusters !== undefined) ? got : undefined;
        });
        console.log(`    [issue note] sidecar tcp_proxy of ${TCP_SERVICE} (${ip}:${TCP_PORT}; gateway-api): ${JSON.stringify(proxies)}`);
        // Without the TCPRoute istiod sends one tcp_proxy to the Service's own cluster (outbound|9000||ledger...).
        expect(proxies, JSON.stringify(proxies)).to.deep.equal([
            { weightedClusters: [{ name: cluster("v1"), weight: 80 }, { name: cluster("v2"), weight: 20 }] },
        ]);
    });

    it(`grpc service (GRPCRoute on the Service, GAMMA): the client proxy's routes of ${GRPC_SERVICE}:${GRPC_PORT}, the pin to v2 first, then the split 80/20 by version Service`, async () => {
        const cluster = (v: string): string => `outbound|${GRPC_PORT}||${GRPC_SERVICE}-${v}.${ns}.svc.cluster.local`;
        const vh = await sidecar.waitFor(`the ${GRPC_SERVICE} virtual host with the GRPCRoute's routes`, (c) => {
            const found = findVirtualHost(c.resources(TYPE.route), { name: GRPC_SERVICE, namespace: ns }, GRPC_PORT);
            const routes = (found?.["routes"] ?? []) as Resource[];
            return routes.some((r) => (r["route"] as Resource | undefined)?.["weightedClusters"] !== undefined) ? found : undefined;
        });
        const routes = ((vh["routes"] ?? []) as Resource[]).map(summarize);
        console.log(`    [issue note] sidecar routes of ${GRPC_SERVICE}:${GRPC_PORT} (gateway-api GRPCRoute): ${JSON.stringify(routes)}`);
        expect(routes.map(({ headers, action }) => ({ headers, action })), JSON.stringify(routes)).to.deep.equal([
            { headers: [{ name: "x-canary", stringMatch: { exact: "always" } }], action: { cluster: cluster("v2") } },
            { headers: [], action: { weightedClusters: [{ name: cluster("v1"), weight: 80 }, { name: cluster("v2"), weight: 20 }] } },
        ]);
    });

    it("istiod reports the namespace synced and nothing rejected, ignored or conflicting in its log", async () => {
        await debug.waitSynced(ns, [], 30_000);
        const problems = debug.problemsFor(ns, logOffset).filter((l) => !/failed to get proxy service targets from metadata: no instances found for/.test(l));
        expect(problems, "istiod log warnings/errors naming our namespace").to.deep.equal([]);
    });
});

describe("per-service stacks with the Gateway API on istiod: the service stack's HTTPRoute on the platform stack's Gateway", function () {
    this.timeout(600_000);
    const started = Date.now();
    const hex = randomBytes(4).toString("hex");
    const env = `e2e-gw-${hex}`;
    const ns = `mesh-gwps-${hex}`;
    const host = "shop.example.com";
    let istiod: IstiodHandle;
    let projectDir = "";
    const stacks: ProjectStack[] = [];
    let ingress: XdsClient | undefined;

    /** The example environment's platform and checkout stacks in gateway-api mode (refused keys out), /api to checkout only. */
    function configs(): { platform: PlainConfig; checkout: PlainConfig; checkoutStack: string } {
        const example = exampleEnvironment(env, ns);
        const platform = example.platform.config;
        platform["routingApi"] = "gateway-api";
        delete platform["egress"];
        (platform["ingress"] as PlainConfig)["routes"] = [{ prefix: "/api", service: "checkout" }];
        const checkout = example.services[0]!;
        checkout.config["routingApi"] = "gateway-api";
        const svc = (checkout.config["services"] as Record<string, PlainConfig>)["checkout"] as PlainConfig;
        delete svc["faults"];
        delete svc["retries"];
        return { platform, checkout: checkout.config, checkoutStack: checkout.stack };
    }
    const replaceWith =
        (raw: PlainConfig) =>
        (c: PlainConfig): void => {
            for (const k of Object.keys(c)) delete c[k];
            Object.assign(c, structuredClone(raw));
        };

    before(async function () {
        this.timeout(1_900_000); // on a cold machine this waits for the background pilot-discovery build
        istiod = await ensureIstiod();
        projectDir = createProjectDir();
        const c = configs();
        const envVars = { PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY: "true" };
        stacks.push(await projectStack({ projectDir, stackName: env, namespace: ns, edit: replaceWith(c.platform), envVars }));
        stacks.push(await projectStack({ projectDir, stackName: c.checkoutStack, namespace: ns, edit: replaceWith(c.checkout), envVars }));
    });

    after(async function () {
        this.timeout(300_000);
        ingress?.close();
        const failed: string[] = [];
        try {
            if (ns !== "") await deleteRaw(connectCluster().kubeConfig, { apiVersion: "v1", kind: "Secret", metadata: { name: "shop-tls", namespace: ns } }).catch(() => undefined);
            for (const st of [...stacks].reverse()) await st.dispose().catch((err: Error) => failed.push(err.message));
        } finally {
            fs.rmSync(projectDir, { recursive: true, force: true });
            console.log(`    gateway-api per-service e2e: ${Math.round((Date.now() - started) / 1000)} s in all (namespace ${ns})`);
        }
        if (failed.length > 0) throw new Error(failed.join("\n"));
    });

    it("platform up (the Gateway), then the service stack up (its HTTPRoute checkout-ingress by parentRef); the gateway node gets checkout's rules under /api and its split 80/20", async () => {
        const [platform, checkout] = stacks;
        if (platform === undefined || checkout === undefined) throw new Error("the stacks were not created (see the before hook)");
        const p = await platform.stack.up({ onOutput: platform.log });
        expect(p.summary.result, platform.output()).to.equal("succeeded");
        const kc = connectCluster().kubeConfig;
        await createTlsSecret(kc, ns, "shop-tls", host);
        await createGatewayService(kc, ns);
        const s = await checkout.stack.up({ onOutput: checkout.log });
        expect(s.summary.result, checkout.output()).to.equal("succeeded");
        ingress = ingressClient(istiod, ns, "10.254.3.3");
        const cluster = (v: string): string => `outbound|8080||checkout-${v}.${ns}.svc.cluster.local`;
        const routes = await httpsRoutes(ingress, host, (rs) => rs.some((r) => (r["route"] as Resource | undefined)?.["weightedClusters"] !== undefined));
        const pin = [{ name: "x-canary", stringMatch: { exact: "true" } }];
        const flag = [{ name: "x-new-checkout", stringMatch: { exact: "on" } }];
        const summary = routes.map(summarize);
        console.log(`    [issue note] ingress routes of ${host} from the service stack's HTTPRoute: ${routes.map((r) => String(r["name"])).join(", ")}`);
        expect(summary, JSON.stringify(summary)).to.deep.equal([
            { prefix: "/api/legacy", headers: pin, action: { cluster: cluster("v2") } },
            { prefix: "/api/legacy", headers: flag, action: { cluster: cluster("v2") } },
            { prefix: "/api/legacy", headers: [], action: { cluster: cluster("v1") } },
            { prefix: "/api", headers: pin, action: { cluster: cluster("v2") } },
            { prefix: "/api", headers: flag, action: { cluster: cluster("v2") } },
            {
                prefix: "/api",
                headers: [],
                action: {
                    weightedClusters: [
                        { name: cluster("v1"), weight: 80 },
                        { name: cluster("v2"), weight: 20 },
                    ],
                },
            },
        ]);
    });
});
