/**
 * What a `GatewayApiEgress` emits: the egress of an EgressGateway (egressGatewayPlan.ts: external hosts reached with
 * TLS passthrough) written with the Gateway API, as Istio's "Egress Gateways" task does it with the Gateway API
 * (and istiod's own test data, pilot/pkg/config/kube/gateway/testdata/serviceentry.yaml of the pinned module):
 * - per host the same ServiceEntry (MESH_EXTERNAL, DNS, a TLS port);
 * - one Gateway of class `istio` (istiod deploys it: Deployment and Service `<name>-istio`, the Service of type
 *   ClusterIP by Istio's `networking.istio.io/service-type` annotation), a TLS listener per host, `Passthrough`;
 * - per host two TLSRoutes (gateway.networking.k8s.io/v1, standard channel since Gateway API v1.5): the mesh route,
 *   parent the host's ServiceEntry, sends the host's connections to the gateway's Service; the gateway's route,
 *   parent its listener, forwards them to the host (Istio's `Hostname` backend);
 * - the REGISTRY_ONLY Sidecar when asked for (a mesh setting, the same in both routing APIs).
 * No DestinationRule: the Istio mode's subset only served its VirtualService's route. Pure: loads no Pulumi SDK.
 */
import { DestinationRuleClaims } from "./destinationRuleClaims";
import { hostSlug, planEgressGateway, type EgressGatewayArgs } from "./egressGatewayPlan";
import type { GatewayApiGatewaySpec, TLSRouteSpec } from "./gatewayApi/types";
import type { Plain } from "./inputs";
import type { ServiceEntrySpec, SidecarSpec } from "./istio/types";
import { show, type Problem } from "./validation";

export const GATEWAY_API_EGRESS_TOKEN = "mesh-traffic:index:GatewayApiEgress";

/** Istio's group of its own route parents and backends (ServiceEntry, Hostname). */
export const ISTIO_NETWORKING_GROUP = "networking.istio.io";
/** Istio's Gateway annotation for the type of the Service it deploys for the Gateway. */
export const ISTIO_SERVICE_TYPE = "networking.istio.io/service-type";
/** The suffix istiod gives the Deployment and Service it makes for a Gateway of class `istio`. */
export const ISTIO_GATEWAY_SERVICE_SUFFIX = "-istio";
/** A Gateway's listeners at most (the CRD's `maxItems`). */
export const GATEWAY_LISTENER_LIMIT = 64;

/**
 * Arguments of `GatewayApiEgress`: an EgressGateway's, but `selector`, `gatewayService` and `claims` (istiod deploys
 * the gateway itself and names its Service; no DestinationRule is claimed). The hosts and `registryOnly` are plain.
 */
export type GatewayApiEgressArgs = Omit<EgressGatewayArgs, "selector" | "gatewayService" | "claims"> & {
    /** Annotate every object with `pulumi.com/skipAwait: "true"` (no controller reports its status). Default false. */
    skipAwait?: boolean;
};

/** What a GatewayApiEgress emits, by object name. */
export interface GatewayApiEgressPlan {
    problems: Problem[];
    gateway: GatewayApiGatewaySpec;
    serviceEntries: { host: string; name: string; spec: ServiceEntrySpec }[];
    /** Two per host: `<name>-<host>-mesh` (parent: its ServiceEntry) and `<name>-<host>` (parent: the Gateway's listener). */
    tlsRoutes: { host: string; name: string; spec: TLSRouteSpec }[];
    sidecar: SidecarSpec | undefined;
}

/** The name of a host's objects (ServiceEntry, the gateway's TLSRoute): the Istio mode's, `<name>-<host slug>`. */
export function egressObjectName(name: string, host: string): string {
    return `${name}-${hostSlug(host)}`;
}

/** Pure: validates the args (an EgressGateway's checks) and computes every spec. */
export function planGatewayApiEgress(name: string, args: Plain<GatewayApiEgressArgs>): GatewayApiEgressPlan {
    // The Istio mode's checks and ServiceEntries; its gateway-service DestinationRule is not emitted, so nothing is claimed.
    const istio = planEgressGateway(name, { ...args, claims: new DestinationRuleClaims() });
    const problems = [...istio.problems];
    if (args.hosts.length > GATEWAY_LISTENER_LIMIT) {
        problems.push({
            propertyPath: "hosts",
            reason: `hosts has ${args.hosts.length} entries; a Gateway holds at most ${GATEWAY_LISTENER_LIMIT} listeners, one per host (routingApi gateway-api): route the rest through routing.serviceEntries or use routingApi istio`,
        });
    }
    const gatewayService = `${name}${ISTIO_GATEWAY_SERVICE_SUFFIX}`;
    const listenerName = (host: string): string => hostSlug(host);
    const gateway: GatewayApiGatewaySpec = {
        gatewayClassName: "istio",
        listeners: args.hosts.map((h) => ({
            name: listenerName(h.host),
            hostname: h.host,
            port: h.port ?? 443,
            protocol: "TLS" as const,
            tls: { mode: "Passthrough" as const },
            allowedRoutes: { namespaces: { from: "Same" as const }, kinds: [{ kind: "TLSRoute" as const }] },
        })),
    };
    const slugs = new Map<string, string>();
    args.hosts.forEach((h, i) => {
        const other = slugs.get(hostSlug(h.host));
        if (other !== undefined && other !== h.host) {
            problems.push({
                propertyPath: `hosts[${i}].host`,
                reason: `hosts[${i}].host is ${show(h.host)}; its objects and listener would be named like those of ${show(other)} (${show(hostSlug(h.host))}): keep one of them`,
            });
        }
        slugs.set(hostSlug(h.host), h.host);
    });
    const serviceEntries = istio.serviceEntries.map((se) => ({ ...se, name: egressObjectName(name, se.host) }));
    const tlsRoutes = args.hosts.flatMap((h) => {
        const port = h.port ?? 443;
        const objectName = egressObjectName(name, h.host);
        const toGateway: TLSRouteSpec = {
            parentRefs: [{ group: ISTIO_NETWORKING_GROUP, kind: "ServiceEntry", name: objectName }],
            hostnames: [h.host],
            rules: [{ backendRefs: [{ name: gatewayService, port }] }],
        };
        const toHost: TLSRouteSpec = {
            parentRefs: [{ name, sectionName: listenerName(h.host) }],
            hostnames: [h.host],
            rules: [{ backendRefs: [{ group: ISTIO_NETWORKING_GROUP, kind: "Hostname", name: h.host, port }] }],
        };
        return [
            { host: h.host, name: `${objectName}-mesh`, spec: toGateway },
            { host: h.host, name: objectName, spec: toHost },
        ];
    });
    return { problems, gateway, serviceEntries, tlsRoutes, sidecar: istio.sidecar };
}
