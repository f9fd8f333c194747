/**
 * What the dev stack (Pulumi.dev.yaml) must put in the API server, written out by hand from the config and
 * Istio's documented shapes, not computed with the components' code: a test that derives its expectation from
 * the code under test cannot catch that code's bugs.
 *
 * Pulumi.dev.yaml in short: service `sample-app` on port 8080, stable v1, canary v2 (routed, weight 0), one
 * header pin `canary: "true"`, timeout 10s, 3 retries; a host-wide circuit breaker; an ingress Gateway for
 * `sample-app.mesh-dev.local` (HTTP redirecting to HTTPS, HTTPS with TLS SIMPLE and `sample-app-tls`) routing
 * `/` to sample-app with sample-app's routes; one egress host `api.external-service.com:443` through the egress gateway (TLS passthrough).
 */

/** The Pulumi stack outputs of the dev config at a canary weight. */
export function expectedOutputs(namespace: string, canaryWeight: number): Record<string, unknown> {
    return {
        namespace,
        services: {
            "sample-app": {
                weights: { stable: 100 - canaryWeight, canary: canaryWeight },
                subsets: ["stable", "canary"],
                versions: { stable: "v1", canary: "v2" },
                hosts: ["sample-app"],
                gatewayHosts: ["sample-app.mesh-dev.local"],
            },
        },
        ingressHosts: ["sample-app.mesh-dev.local"],
        egressHosts: ["api.external-service.com"],
    };
}

const APP = { host: "sample-app", port: { number: 8080 } };
const STABLE = { ...APP, subset: "stable" };
const CANARY = { ...APP, subset: "canary" };

/**
 * The weighted catch-all destinations, as Istio wants them: one destination alone carries no weight (Istio
 * gives it 100); a 0-weight destination is left out. Only the weights the tests set are listed.
 */
export const SPLIT: Readonly<Record<number, unknown[]>> = {
    0: [{ destination: STABLE }],
    25: [
        { destination: STABLE, weight: 75 },
        { destination: CANARY, weight: 25 },
    ],
};

function split(canaryWeight: number): unknown[] {
    const s = SPLIT[canaryWeight];
    if (s === undefined) {
        throw new Error(`expected.ts has no hand-written split for canary weight ${canaryWeight}; add it to SPLIT`);
    }
    return s;
}

const RETRIES = { attempts: 3, perTryTimeout: "3s", retryOn: "5xx,reset,connect-failure,refused-stream" };
const EGRESS_GATEWAY_SERVICE = "istio-egressgateway.istio-system.svc.cluster.local";
const EXTERNAL = "api.external-service.com";
const INGRESS_HOST = "sample-app.mesh-dev.local";

/** The labels every object carries (components/meta.ts BASE_LABELS; the contract with kubectl users). */
export const OUR_LABELS = {
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": "mesh-traffic",
};

/** `Kind/name` -> the exact spec of every Istio object the dev stack creates in `namespace`. */
export function expectedIstioSpecs(namespace: string, canaryWeight: number): Record<string, unknown> {
    return {
        "DestinationRule/sample-app": {
            host: "sample-app",
            trafficPolicy: {
                connectionPool: { tcp: { maxConnections: 100 }, http: { http1MaxPendingRequests: 50 } },
                outlierDetection: { consecutive5xxErrors: 5, interval: "30s", baseEjectionTime: "30s", maxEjectionPercent: 50 },
            },
            subsets: [
                { name: "stable", labels: { version: "v1" } },
                { name: "canary", labels: { version: "v2" } },
            ],
        },
        "VirtualService/sample-app": {
            hosts: ["sample-app"],
            http: [
                {
                    name: "canary-pin-0",
                    match: [{ headers: { canary: { exact: "true" } } }],
                    route: [{ destination: CANARY }],
                    timeout: "10s",
                    retries: RETRIES,
                },
                { name: "catch-all", route: split(canaryWeight), timeout: "10s", retries: RETRIES },
            ],
        },
        "Gateway/ingress": {
            selector: { istio: "ingressgateway" },
            servers: [
                { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: [INGRESS_HOST], tls: { httpsRedirect: true } },
                {
                    port: { number: 443, name: "https", protocol: "HTTPS" },
                    hosts: [INGRESS_HOST],
                    tls: { mode: "SIMPLE", credentialName: "sample-app-tls" },
                },
            ],
        },
        // Gateway traffic ignores the mesh VirtualService (IST0140): its routes are carried under the prefix "/",
        // named and matched as istiod merges a delegate's routes into a root route `route-0` matching prefix "/".
        "VirtualService/ingress": {
            hosts: [INGRESS_HOST],
            gateways: [`${namespace}/ingress`],
            http: [
                {
                    name: "route-0-canary-pin-0",
                    match: [{ uri: { prefix: "/" }, headers: { canary: { exact: "true" } } }],
                    route: [{ destination: CANARY }],
                    timeout: "10s",
                    retries: RETRIES,
                },
                { name: "route-0-catch-all", match: [{ uri: { prefix: "/" } }], route: split(canaryWeight), timeout: "10s", retries: RETRIES },
            ],
        },
        "Gateway/egress": {
            selector: { istio: "egressgateway" },
            servers: [{ port: { number: 443, name: "tls-443", protocol: "TLS" }, hosts: [EXTERNAL], tls: { mode: "PASSTHROUGH" } }],
        },
        "DestinationRule/egress-egressgateway": { host: EGRESS_GATEWAY_SERVICE, subsets: [{ name: "external" }] },
        "ServiceEntry/egress-api-external-service-com": {
            hosts: [EXTERNAL],
            ports: [{ number: 443, name: "tls-443", protocol: "TLS" }],
            location: "MESH_EXTERNAL",
            resolution: "DNS",
        },
        "VirtualService/egress-api-external-service-com": {
            hosts: [EXTERNAL],
            gateways: ["mesh", `${namespace}/egress`],
            tls: [
                {
                    match: [{ gateways: ["mesh"], port: 443, sniHosts: [EXTERNAL] }],
                    route: [{ destination: { host: EGRESS_GATEWAY_SERVICE, subset: "external", port: { number: 443 } } }],
                },
                {
                    match: [{ gateways: [`${namespace}/egress`], port: 443, sniHosts: [EXTERNAL] }],
                    route: [{ destination: { host: EXTERNAL, port: { number: 443 } } }],
                },
            ],
        },
    };
}

/**
 * `Kind/name` -> the parts of the core objects' specs we set (the API server adds defaults such as clusterIP,
 * strategy and protocol: these fragments are compared with chai's deep include on the named paths).
 */
export function expectedWorkloads(): Record<string, { labels: Record<string, string>; spec: Record<string, unknown> }> {
    const deployment = (version: string) => ({
        labels: { ...OUR_LABELS, app: "sample-app", version },
        spec: {
            replicas: 1,
            selector: { matchLabels: { app: "sample-app", version } },
            template: {
                metadata: { labels: { ...OUR_LABELS, app: "sample-app", version } },
                spec: {
                    containers: [
                        { name: "sample-app", image: `ghcr.io/hashfoundry/sample-app:${version}`, ports: [{ name: "http", containerPort: 8080 }] },
                    ],
                },
            },
        },
    });
    return {
        "Service/sample-app": {
            labels: { ...OUR_LABELS, app: "sample-app" },
            spec: { selector: { app: "sample-app" }, ports: [{ name: "http", port: 8080, targetPort: 8080 }] },
        },
        "Deployment/sample-app-v1": deployment("v1"),
        "Deployment/sample-app-v2": deployment("v2"),
    };
}

/** The Pulumi resources the dev stack registers, as `type name` (the Stack and the default provider aside). */
export const EXPECTED_RESOURCES: readonly string[] = [
    "kubernetes:core/v1:Namespace namespace",
    "mesh-traffic:index:Workloads sample-app",
    "kubernetes:apps/v1:Deployment sample-app-v1",
    "kubernetes:apps/v1:Deployment sample-app-v2",
    "kubernetes:core/v1:Service sample-app-service",
    "mesh-traffic:index:Canary sample-app",
    "kubernetes:networking.istio.io/v1:DestinationRule sample-app-dr",
    "kubernetes:networking.istio.io/v1:VirtualService sample-app-vs",
    "mesh-traffic:index:IngressGateway ingress",
    "kubernetes:networking.istio.io/v1:Gateway ingress-gateway",
    "kubernetes:networking.istio.io/v1:VirtualService ingress-vs",
    "mesh-traffic:index:EgressGateway egress",
    "kubernetes:networking.istio.io/v1:Gateway egress-gateway",
    "kubernetes:networking.istio.io/v1:DestinationRule egress-dr",
    "kubernetes:networking.istio.io/v1:ServiceEntry egress-se-api-external-service-com",
    "kubernetes:networking.istio.io/v1:VirtualService egress-vs-api-external-service-com",
];
