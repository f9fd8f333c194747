/**
 * What istiod must generate for the istiod e2e stack, written out by hand from the config below and from Istio's
 * documented translation to Envoy (route order kept, `weight` -> weighted_clusters, `fault` -> the fault filter's
 * per-route config with a percentage out of a million, `retries` -> retry_policy, DestinationRule traffic policy
 * -> cluster outlier_detection / circuit_breakers / lb_policy), not computed with our components.
 *
 * The stack: Pulumi.dev.yaml (service sample-app:8080, stable v1, canary v2, pin `canary: "true"`, timeout 10s,
 * 3 retries on 5xx,reset,connect-failure,refused-stream with 3s per try, circuit breaker 100 connections / 50
 * pending, outlier detection 5 x 5xx / 30s / 30s / 50 %, ingress for sample-app.mesh-dev.local, egress to
 * api.external-service.com:443) plus, in {@link ISTIOD_EDIT}: canary weight 25, an A/B flag
 * `x-new-feature: enabled`, faults for requests with `x-fault: on` (delay 2s for 50 %, abort 503 for 10 %), and
 * consistent-hash load balancing on the `x-user` header (ring hash: proxyless gRPC supports it; LEAST_REQUEST,
 * which istiod passes to gRPC clients as it is, makes @grpc/grpc-js-xds 1.14.1 reject the clusters); and a tcp
 * service `ledger` on port 9000 (stable v1, canary v2 at 20 %), whose split is a tcp_proxy's weighted clusters.
 *
 * The gateway proxies have Istio's default Services (istio-ingressgateway / istio-egressgateway: 80 -> 8080,
 * 443 -> 8443), so istiod puts a Gateway server's port on the Service's target port: listeners 8080 and 8443.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { Resource } from "../../../sim/xds/client";
import { getRaw } from "../stack/kubeRaw";

/** Config edits on top of Pulumi.dev.yaml. */
export function ISTIOD_EDIT(c: Record<string, unknown>): void {
    const svc = (c["services"] as Record<string, Record<string, unknown>>)["sample-app"] as Record<string, unknown>;
    (svc["canary"] as Record<string, unknown>)["weight"] = 25;
    svc["abTest"] = { header: "x-new-feature", value: "enabled" };
    svc["faults"] = { delay: { percentage: 50, fixedDelay: "2s" }, abort: { percentage: 10, httpStatus: 503 }, header: { name: "x-fault", value: "on" } };
    (svc["trafficPolicy"] as Record<string, unknown>)["loadBalancer"] = { consistentHash: { httpHeaderName: "x-user" } };
    (c["services"] as Record<string, unknown>)[TCP_SERVICE] = protocolService("tcp", TCP_PORT);
}

/** The tcp service of {@link ISTIOD_EDIT}: VirtualService tcp routes, its canary at 20 %. */
export const TCP_SERVICE = "ledger";
export const TCP_PORT = 9000;

/** A service of `protocol` on `port` beside sample-app: stable v1, canary v2 at 20 %, one replica each. */
export function protocolService(protocol: "tcp" | "grpc", port: number): Record<string, unknown> {
    return { protocol, port, image: "ghcr.io/hashfoundry/sample-app:{version}", replicas: 1, stable: { version: "v1" }, canary: { version: "v2", weight: 20 } };
}

export const fqdn = (ns: string): string => `sample-app.${ns}.svc.cluster.local`;
export const cluster = (ns: string, subset: "stable" | "canary"): string => `outbound|8080|${subset}|${fqdn(ns)}`;

/** The weighted clusters of the catch-all at a canary weight (a lone destination is a plain `cluster`). */
export function expectedSplit(ns: string, canaryWeight: number): Record<string, unknown> {
    if (canaryWeight === 0) return { cluster: cluster(ns, "stable") };
    if (canaryWeight === 100) return { cluster: cluster(ns, "canary") };
    return {
        weightedClusters: {
            clusters: [
                { name: cluster(ns, "stable"), weight: 100 - canaryWeight },
                { name: cluster(ns, "canary"), weight: canaryWeight },
            ],
        },
    };
}

export const RETRY = { retryOn: "5xx,reset,connect-failure,refused-stream", numRetries: 3, perTryTimeout: "3s" };
export const TIMEOUT = "10s";

/** Envoy's fault filter config for the x-fault route: 50 % and 10 % as parts of a million. */
export const FAULT = {
    delay: { fixedDelay: "2s", percentage: { numerator: 500000, denominator: "MILLION" } },
    abort: { httpStatus: 503, percentage: { numerator: 100000, denominator: "MILLION" } },
};

/** [route name, header matches, forward action] of the sidecar's virtual host for sample-app:8080, in order. */
export function expectedMeshRoutes(ns: string, canaryWeight: number): { name: string; headers: unknown[]; action: Record<string, unknown>; fault?: unknown }[] {
    return [
        { name: "fault-injection", headers: [{ name: "x-fault", stringMatch: { exact: "on" } }], action: expectedSplit(ns, canaryWeight), fault: FAULT },
        { name: "canary-pin-0", headers: [{ name: "canary", stringMatch: { exact: "true" } }], action: { cluster: cluster(ns, "canary") } },
        { name: "ab-test", headers: [{ name: "x-new-feature", stringMatch: { exact: "enabled" } }], action: { cluster: cluster(ns, "canary") } },
        { name: "catch-all", headers: [], action: expectedSplit(ns, canaryWeight) },
    ];
}

/**
 * [route name, header matches, forward action, fault] of the ingress gateway's HTTPS virtual host: sample-app's
 * routes carried under the ingress route's prefix "/" (the single layout's ingress VirtualService; istiod would
 * name and match them so when merging a delegate into a root route `route-0`), each matching prefix "/".
 */
export function expectedGatewayRoutes(ns: string, canaryWeight: number): { name: string; headers: unknown[]; action: Record<string, unknown>; fault?: unknown }[] {
    return expectedMeshRoutes(ns, canaryWeight).map((r) => ({ ...r, name: `route-0-${r.name}` }));
}

/** The parts of every sample-app subset cluster that come from the DestinationRule. */
export const EXPECTED_CLUSTER_POLICY = {
    type: "EDS",
    lbPolicy: "RING_HASH",
    circuitBreakers: { thresholds: [{ maxConnections: 100, maxPendingRequests: 50 }] },
    outlierDetection: { consecutive_5xx: 5, interval: "30s", baseEjectionTime: "30s", maxEjectionPercent: 50 },
};

/** The hash policy every forwarding route of sample-app carries (consistent hash on x-user). */
export const HASH_POLICY = [{ header: { headerName: "x-user" } }];

/** Gateway listener ports: the Gateway's 80 and 443 on the gateway Service's target ports. */
export const GATEWAY_LISTENER_PORTS = [8080, 8443];

export const INGRESS_HOST = "sample-app.mesh-dev.local";
export const EXTERNAL = "api.external-service.com";
export const EGRESS_GATEWAY_CLUSTER = "outbound|443|external|istio-egressgateway.istio-system.svc.cluster.local";
export const EXTERNAL_CLUSTER = `outbound|443||${EXTERNAL}`;

/** The filter chain of a listener whose SNI match names `sni`, and its tcp_proxy cluster. */
export function sniChain(listeners: readonly Resource[], port: number, sni: string): { listener: string; cluster: unknown } | undefined {
    for (const l of listeners) {
        const addr = ((l["address"] as Resource | undefined)?.["socketAddress"] ?? {}) as Resource;
        if (Number(addr["portValue"]) !== port) continue;
        for (const chain of (l["filterChains"] ?? []) as Resource[]) {
            const names = (((chain["filterChainMatch"] ?? {}) as Resource)["serverNames"] ?? []) as string[];
            if (!names.includes(sni)) continue;
            for (const f of (chain["filters"] ?? []) as Resource[]) {
                const tc = (f["typedConfig"] ?? {}) as Resource;
                if (String(tc["@type"]).endsWith("tcp_proxy.v3.TcpProxy")) return { listener: String(l["name"]), cluster: tc["cluster"] };
            }
        }
    }
    return undefined;
}

/** A tcp_proxy as compared: its one cluster, or its weighted clusters (name and weight). */
export interface TcpProxySummary {
    cluster?: unknown;
    weightedClusters?: { name: unknown; weight: unknown }[];
}

/**
 * Every tcp_proxy of the outbound listener of `address:port` (a Service's cluster IP: istiod gives each TCP Service
 * port its own listener, so the version Services' listeners on the same port are not this one's), in filter chain order.
 */
export function tcpProxiesOn(listeners: readonly Resource[], address: string, port: number): TcpProxySummary[] {
    const out: TcpProxySummary[] = [];
    for (const l of listeners) {
        const addr = ((l["address"] as Resource | undefined)?.["socketAddress"] ?? {}) as Resource;
        if (Number(addr["portValue"]) !== port || addr["address"] !== address) continue;
        for (const chain of (l["filterChains"] ?? []) as Resource[]) {
            for (const f of (chain["filters"] ?? []) as Resource[]) {
                const tc = (f["typedConfig"] ?? {}) as Resource;
                if (!String(tc["@type"]).endsWith("tcp_proxy.v3.TcpProxy")) continue;
                const wc = tc["weightedClusters"] as Resource | undefined;
                out.push(
                    wc === undefined
                        ? { cluster: tc["cluster"] }
                        : { weightedClusters: ((wc["clusters"] ?? []) as Resource[]).map((c) => ({ name: c["name"], weight: c["weight"] })) },
                );
            }
        }
    }
    return out;
}

/** The cluster IP the API server gave the Service `name` of `namespace`. */
export async function serviceClusterIp(kc: KubeConfig, namespace: string, name: string): Promise<string> {
    const svc = (await getRaw(kc, { apiVersion: "v1", kind: "Service", metadata: { name, namespace } })) as { spec?: { clusterIP?: string } } | undefined;
    const ip = svc?.spec?.clusterIP;
    if (ip === undefined || ip === "" || ip === "None") throw new Error(`Service ${namespace}/${name} has no cluster IP (${JSON.stringify(svc?.spec ?? null)})`);
    return ip;
}

/** A route as the Gateway API tests compare it: the path prefix, header matches, forward action (cluster, weighted clusters or redirect). */
export interface RouteSummary {
    prefix: unknown;
    headers: unknown[];
    action: Record<string, unknown>;
}

/** The parts of an Envoy route the istiod tests compare: its match, header matches, cluster and weighted clusters. */
export function routeParts(route: Resource): { match: Resource; headers: { name: unknown; stringMatch: unknown }[]; cluster?: unknown; weighted?: { name: unknown; weight: unknown }[] } {
    const action = (route["route"] ?? {}) as Resource;
    const match = (route["match"] ?? {}) as Resource;
    const headers = ((match["headers"] ?? []) as Resource[]).map((h) => ({ name: h["name"], stringMatch: h["stringMatch"] }));
    const wc = action["weightedClusters"] as Resource | undefined;
    return {
        match,
        headers,
        ...(action["cluster"] === undefined ? {} : { cluster: action["cluster"] }),
        ...(wc === undefined ? {} : { weighted: ((wc["clusters"] ?? []) as Resource[]).map((c) => ({ name: c["name"], weight: c["weight"] })) }),
    };
}

/** {@link RouteSummary} of an Envoy route (gatewayApi.test.ts, waypoint.test.ts). */
export function summarize(route: Resource): RouteSummary {
    const { match, headers, cluster, weighted } = routeParts(route);
    const fwd: Record<string, unknown> = {};
    if (cluster !== undefined) fwd["cluster"] = cluster;
    if (weighted !== undefined) fwd["weightedClusters"] = weighted;
    if (route["redirect"] !== undefined) fwd["redirect"] = route["redirect"];
    return { prefix: match["prefix"] ?? match["pathSeparatedPrefix"], headers, action: fwd };
}
