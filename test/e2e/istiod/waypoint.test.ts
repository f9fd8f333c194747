/**
 * Ambient mode on a real istiod (issue 22): the stack's ambient objects in `routingApi: gateway-api` (the namespace
 * labelled `istio.io/dataplane-mode=ambient` and `istio.io/use-waypoint: waypoint`, the waypoint `Gateway` of class
 * `istio-waypoint`, a service with a waypoint of its own and the `istio.io/use-waypoint` label on its Services, the
 * HTTPRoutes on the Service, the version Services, the DestinationRules) and what istiod serves over xDS to a node
 * that plays each waypoint (sim/xds/client.ts waypointNode), compared with hand-written expectations.
 *
 * istiod keys a waypoint's config by its ambient index (pilot/pkg/serviceregistry/ambient of the pinned istio module:
 * ServicesForWaypoint), which runs only with PILOT_ENABLE_AMBIENT (pilot/pkg/bootstrap/servicecontroller.go; without
 * it a waypoint node gets only the HBONE listeners, no service), so the test starts a second istiod with it
 * (`local-cluster.sh start-istiod --ambient`); the run's istiod is left as it is. The index takes a Gateway as a
 * waypoint once its status has addresses (waypoints.go gatewayToWaypointTransform), and a waypoint proxy owns the
 * services bound to the Service its labels select (model.WaypointKeyForProxy).
 *
 * Standing in for istiod's gateway deployment controller (off here: no kubelet): each waypoint's Service (its name,
 * selecting the pods by `gateway.networking.k8s.io/gateway-name`, labelled `gateway.istio.io/managed:
 * istio.io-mesh-controller`, as the chart's waypoint.yaml) and the Gateway's status address (the Service's hostname,
 * as the status controller reports it). Not proven: ztunnel (cannot be built here), HBONE, real traffic, Envoy.
 */
import { expect } from "chai";
import type { KubeConfig } from "@kubernetes/client-node";
import { TYPE, waypointNode, XdsClient, type Resource } from "../../../sim/xds/client";
import { WAYPOINT_CLASS } from "../../../components/gatewayApiPlan";
import { connectCluster, type KubeObject } from "../../support/cluster";
import { startAmbientIstiod, type AmbientIstiod } from "../../support/istiod";
import { projectStack, type PlainConfig, type ProjectStack } from "../../support/pulumiProject";
import { collectionPath, ensureCreated, rawRequest, statusMessage } from "../stack/kubeRaw";
import { summarize } from "./expected";

const SERVICE = "sample-app";
/** The namespace's waypoint (`ambient.waypoint`). */
const WAYPOINT = "waypoint";
/** A service with a waypoint of its own (`waypoint: own`: Gateway payments-waypoint), canary at 30 %, one pin. */
const OWN = "payments";
const OWN_WAYPOINT = `${OWN}-waypoint`;

/** Config edits on top of Pulumi.dev.yaml: gateway-api and ambient mode, sample-app at 25 % with a flag and /api to stable. */
function AMBIENT_EDIT(c: PlainConfig): void {
    c["routingApi"] = "gateway-api";
    c["ambient"] = { enabled: true, waypoint: WAYPOINT };
    delete c["egress"];
    const services = c["services"] as Record<string, PlainConfig>;
    const svc = services[SERVICE] as PlainConfig;
    (svc["canary"] as PlainConfig)["weight"] = 25;
    delete svc["retries"];
    svc["abTest"] = { header: "x-new-feature", value: "enabled" };
    svc["uriRoutes"] = [{ prefix: "/api", subset: "stable" }];
    services[OWN] = {
        port: 8080,
        image: "ghcr.io/hashfoundry/sample-app:{version}",
        replicas: 1,
        stable: { version: "v1" },
        canary: { version: "v2", weight: 30 },
        pins: [{ header: "x-canary", exact: "always" }],
        waypoint: "own",
    };
}

/** A waypoint's cluster of a version Service (the waypoint owns it: `inbound-vip`, protocol http). */
const vip = (ns: string, service: string, version?: string): string => `inbound-vip|8080|http|${service}${version === undefined ? "" : `-${version}`}.${ns}.svc.cluster.local`;

/** The filter chains of the waypoint's `main_internal` listener (one per Service port it owns, plus direct-tcp/http). */
function internalChains(c: XdsClient): Resource[] {
    const l = c.resources(TYPE.listener).find((x) => x["name"] === "main_internal");
    return (l?.["filterChains"] ?? []) as Resource[];
}

/** The routes of the inline route config of `chain`'s HTTP connection manager. */
function chainRoutes(chain: Resource | undefined): Resource[] {
    const filters = (chain?.["filters"] ?? []) as Resource[];
    const hcm = filters.find((f) => f["name"] === "envoy.filters.network.http_connection_manager");
    const rc = ((hcm?.["typedConfig"] as Resource | undefined)?.["routeConfig"] ?? {}) as Resource;
    return ((rc["virtualHosts"] ?? []) as Resource[]).flatMap((vh) => (vh["routes"] ?? []) as Resource[]);
}

/** The routes of the waypoint's chain `chain` once its catch-all is weighted (the HTTPRoute in effect). */
function weightedRoutes(client: XdsClient, chain: string): Promise<Resource[]> {
    return client.waitFor(`the routes of ${chain} with the weighted catch-all`, (c) => {
        const rs = chainRoutes(internalChains(c).find((f) => f["name"] === chain));
        return rs.some((r) => (r["route"] as Resource | undefined)?.["weightedClusters"] !== undefined) ? rs : undefined;
    }, 60_000);
}

/** The chain names of `ns`'s Services on a waypoint, sorted. */
const chainNames = (c: XdsClient, ns: string): string[] =>
    internalChains(c)
        .map((f) => String(f["name"]))
        .filter((n) => n.endsWith(`.${ns}.svc.cluster.local`))
        .sort();

/**
 * Standing in for istiod's deployment controller: the waypoint's Service (name = the Gateway's, as the chart's
 * waypoint.yaml) and the Gateway's status address (that Service's hostname, as istiod's status controller writes it).
 */
async function standInWaypoint(kc: KubeConfig, ns: string, name: string): Promise<void> {
    const selector = { "gateway.networking.k8s.io/gateway-name": name };
    await ensureCreated(kc, {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: ns, labels: { ...selector, "gateway.networking.k8s.io/gateway-class-name": WAYPOINT_CLASS, "gateway.istio.io/managed": "istio.io-mesh-controller" } },
        spec: { selector, ports: [{ name: "status-port", port: 15021 }, { name: "mesh", port: 15008 }] },
    });
    const gateway: KubeObject = { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name, namespace: ns } };
    const res = await rawRequest(kc, "PATCH", `${collectionPath(gateway)}/${name}/status`, { status: { addresses: [{ type: "Hostname", value: `${name}.${ns}.svc.cluster.local` }] } }, "application/merge-patch+json");
    if (res.status !== 200) throw new Error(`status of Gateway ${ns}/${name}: HTTP ${res.status}: ${statusMessage(res)}`);
}

describe("istiod serves the stack's ambient objects to its waypoints (routingApi gateway-api, ambient.enabled; a second istiod with ambient mode)", function () {
    this.timeout(600_000);
    const started = Date.now();
    let istiod: AmbientIstiod | undefined;
    let project: ProjectStack | undefined;
    let ns = "";
    const clients: XdsClient[] = [];
    let waypoint: XdsClient;
    let own: XdsClient;

    before(async function () {
        this.timeout(1_900_000); // on a cold machine this waits for the background pilot-discovery build
        istiod = await startAmbientIstiod();
        console.log(`    ambient istiod ready in ${istiod.startupMs} ms`);
        const kc = connectCluster().kubeConfig;
        project = await projectStack({ edit: AMBIENT_EDIT });
        ns = project.namespace;
        const up = await project.stack.up({ onOutput: project.log });
        expect(up.summary.result, project.output()).to.equal("succeeded");
        await standInWaypoint(kc, ns, WAYPOINT);
        await standInWaypoint(kc, ns, OWN_WAYPOINT);
        waypoint = new XdsClient({ address: istiod.xdsAddress, node: waypointNode({ namespace: ns, gateway: WAYPOINT, podName: `${WAYPOINT}-e2e`, ip: "10.254.4.1" }) });
        own = new XdsClient({ address: istiod.xdsAddress, node: waypointNode({ namespace: ns, gateway: OWN_WAYPOINT, podName: `${OWN_WAYPOINT}-e2e`, ip: "10.254.4.2" }) });
        clients.push(waypoint, own);
    });

    after(async function () {
        this.timeout(300_000);
        clients.forEach((c) => c.close());
        try {
            await project?.dispose();
        } finally {
            await istiod?.stop();
            console.log(`    waypoint e2e: ${Math.round((Date.now() - started) / 1000)} s in all (namespace ${ns})`);
        }
    });

    it("the namespace's waypoint owns sample-app and its version Services, not payments (which has its own): one chain each on main_internal", async () => {
        const names = await waypoint.waitFor("the namespace waypoint's chains of sample-app", (c) => {
            const got = chainNames(c, ns);
            return got.length >= 3 ? got : undefined;
        }, 60_000);
        expect(names).to.deep.equal([vip(ns, SERVICE), vip(ns, SERVICE, "v1"), vip(ns, SERVICE, "v2")].sort());
        const ownNames = await own.waitFor("payments-waypoint's chains", (c) => {
            const got = chainNames(c, ns);
            return got.length >= 3 ? got : undefined;
        }, 60_000);
        expect(ownNames).to.deep.equal([vip(ns, OWN), vip(ns, OWN, "v1"), vip(ns, OWN, "v2")].sort());
    });

    it("the namespace's waypoint routes sample-app by the HTTPRoute: the pin and the A/B flag first on every prefix, /api to stable, the catch-all split 75/25 to the version Services' clusters", async () => {
        const routes = await weightedRoutes(waypoint, vip(ns, SERVICE));
        const summary = routes.map(summarize);
        console.log(`    [issue note] waypoint routes of sample-app:8080 (gateway-api, ambient): ${routes.map((r) => String(r["name"])).join(", ")}`);
        const pin = [{ name: "canary", stringMatch: { exact: "true" } }];
        const flag = [{ name: "x-new-feature", stringMatch: { exact: "enabled" } }];
        const v1 = { cluster: vip(ns, SERVICE, "v1") };
        const v2 = { cluster: vip(ns, SERVICE, "v2") };
        const split = { weightedClusters: [{ name: vip(ns, SERVICE, "v1"), weight: 75 }, { name: vip(ns, SERVICE, "v2"), weight: 25 }] };
        expect(summary, JSON.stringify(summary)).to.deep.equal([
            { prefix: "/api", headers: pin, action: v2 },
            { prefix: "/api", headers: flag, action: v2 },
            { prefix: "/api", headers: [], action: v1 },
            { prefix: "/", headers: pin, action: v2 },
            { prefix: "/", headers: flag, action: v2 },
            { prefix: "/", headers: [], action: split },
        ]);
        for (const r of routes) {
            expect((r["route"] as Resource)["timeout"], `timeout of ${String(r["name"])}`).to.equal("10s");
        }
    });

    it("payments' own waypoint routes payments: its pin to v2 first, then the split 70/30 to its version Services' clusters", async () => {
        const summary = (await weightedRoutes(own, vip(ns, OWN))).map(summarize);
        expect(summary, JSON.stringify(summary)).to.deep.equal([
            { prefix: "/", headers: [{ name: "x-canary", stringMatch: { exact: "always" } }], action: { cluster: vip(ns, OWN, "v2") } },
            { prefix: "/", headers: [], action: { weightedClusters: [{ name: vip(ns, OWN, "v1"), weight: 70 }, { name: vip(ns, OWN, "v2"), weight: 30 }] } },
        ]);
    });

    it("the waypoint's clusters of sample-app's version Services carry the DestinationRules' policy (connection pool, outlier detection)", async () => {
        const clusters = await waypoint.waitFor("the version Services' inbound-vip clusters", (c) => {
            const all = c.resources(TYPE.cluster);
            const got = ["v1", "v2"].map((v) => all.find((x) => x["name"] === vip(ns, SERVICE, v)));
            return got.every((x) => x !== undefined) ? (got as Resource[]) : undefined;
        });
        for (const c of clusters) {
            const thresholds = ((c["circuitBreakers"] as Resource | undefined)?.["thresholds"] ?? []) as Resource[];
            expect(thresholds[0], String(c["name"])).to.deep.include({ maxConnections: 100, maxPendingRequests: 50 });
            expect(c["outlierDetection"], String(c["name"])).to.deep.include({ consecutive_5xx: 5, interval: "30s", baseEjectionTime: "30s", maxEjectionPercent: 50 });
        }
    });
});
