/**
 * `GatewayApiCanary`: a service routed with the Gateway API (plan: gatewayApiPlan.ts). The DestinationRule of the
 * service as a `Canary` emits it, a Service per version (`<service>-<version>`, selector app + version: an HTTPRoute
 * splits by Service), a DestinationRule per version Service whose traffic has a policy, and the mesh HTTPRoute
 * whose parent is the service's Service (GAMMA) with the Istio mode's routes: pins, A/B flag, redirects, URI routes,
 * the weighted catch-all as `backendRefs`; in a service stack, also its HTTPRoute on the platform stack's Gateway
 * (`gatewayRoutes`: the same rules under the prefixes the platform routes to the service).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { serviceDestinationRule, servicePortName } from "./canaryPlan";
import { GatewayApiResource } from "./gatewayApi/types";
import { GATEWAY_API_CANARY_TOKEN, planGatewayApiCanary, skipAwaitAnnotations, type GatewayApiCanaryArgs } from "./gatewayApiPlan";
import { IstioResource } from "./istio/types";
import { BASE_LABELS, objectMeta } from "./meta";
import { itemOf, PlannedArgs, type Plain } from "./inputs";
import type { Weights } from "./routes";
import { reusePlan } from "./planOnce";

export class GatewayApiCanary extends pulumi.ComponentResource {
    /** The service's DestinationRule (subsets and the host-wide policy). */
    public readonly destinationRule: IstioResource<"DestinationRule">;
    /** The Service of each version, by version label. */
    public readonly versionServices: Record<string, k8s.core.v1.Service>;
    /** The DestinationRule of each version Service that has a policy, by version label. */
    public readonly versionDestinationRules: Record<string, IstioResource<"DestinationRule">>;
    /** The mesh HTTPRoute of an http service (the default); none for grpc and tcp. */
    public readonly httpRoute: GatewayApiResource<"HTTPRoute"> | undefined;
    /** The mesh GRPCRoute of a grpc service (`protocol: grpc`). */
    public readonly grpcRoute: GatewayApiResource<"GRPCRoute"> | undefined;
    /** The mesh TCPRoute of a tcp service (`protocol: tcp`). */
    public readonly tcpRoute: GatewayApiResource<"TCPRoute"> | undefined;
    /** The service's HTTPRoutes on other stacks' gateways (`gatewayRoutes`), by name. */
    public readonly gatewayHttpRoutes: Record<string, GatewayApiResource<"HTTPRoute">>;
    /** Live catch-all weights, percent. */
    public readonly weights: pulumi.Output<Weights>;
    /** The destination host. */
    public readonly host: pulumi.Output<string>;

    constructor(name: string, args: GatewayApiCanaryArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const planned = PlannedArgs.check(args, {
            token: GATEWAY_API_CANARY_TOKEN,
            name,
            plan: (a: Plain<GatewayApiCanaryArgs>) => reusePlan(planGatewayApiCanary, a, name),
            // the versions name a Service each; a policy decides whether a version's DestinationRule exists
            structural: ["service", "stable.version", "stable.trafficPolicy", "canary.version", "canary.trafficPolicy", "extraSubsets[].name", "extraSubsets[].version", "extraSubsets[].trafficPolicy", "trafficPolicy", "delegate", "virtualService", "gatewayRoutes", "protocol"],
            claims: true,
        });
        super(GATEWAY_API_CANARY_TOKEN, name, {}, opts);
        planned.attach(this);
        const shape = planned.shape;
        this.host = planned.output((a) => a.service);
        this.weights = planned.output((_, p) => p.weights);
        const meta = (objectName: (a: Plain<GatewayApiCanaryArgs>) => string) => planned.map((a) => objectMeta(objectName(a), a.namespace, a.labels));
        this.destinationRule = new IstioResource(
            `${name}-dr`,
            { kind: "DestinationRule", metadata: meta((a) => a.service), spec: planned.map((a, p) => serviceDestinationRule(a.service, p.destinationRule)) },
            { parent: this },
        );
        const labels = (a: Plain<GatewayApiCanaryArgs>) => ({ ...BASE_LABELS, ...(a.labels ?? {}) });
        this.versionServices = {};
        shape.versionServices.forEach((known, i) => {
            const v = (p: typeof shape) => itemOf(p.versionServices, i, "versionServices");
            this.versionServices[known.version] = new k8s.core.v1.Service(
                `${name}-${known.version}-service`,
                {
                    metadata: planned.map((a, p) => ({
                        name: v(p).name,
                        namespace: a.namespace,
                        labels: { ...labels(a), ...(a.serviceLabels ?? {}), app: a.service, version: v(p).version },
                        annotations: skipAwaitAnnotations(a.skipAwait),
                    })),
                    spec: planned.map((a, p) => ({ selector: { app: a.service, version: v(p).version }, ports: [{ name: servicePortName(a.protocol), port: v(p).port, targetPort: v(p).targetPort }] })),
                },
                { parent: this },
            );
        });
        this.versionDestinationRules = {};
        shape.versionDestinationRules.forEach((known, i) => {
            const dr = (p: typeof shape) => itemOf(p.versionDestinationRules, i, "versionDestinationRules");
            const v = shape.versionServices.find((s) => s.name === known.host);
            this.versionDestinationRules[v?.version ?? known.host] = new IstioResource(
                `${name}-${v?.version ?? known.host}-dr`,
                {
                    kind: "DestinationRule",
                    metadata: planned.map((a, p) => objectMeta(dr(p).host, a.namespace, a.labels)),
                    spec: planned.map((_, p) => ({ host: dr(p).host, trafficPolicy: dr(p).trafficPolicy })),
                },
                { parent: this },
            );
        });
        const backends = [this.destinationRule, ...Object.values(this.versionServices), ...Object.values(this.versionDestinationRules)];
        const routeMeta = planned.map((a) => ({ ...objectMeta(a.service, a.namespace, a.labels), annotations: skipAwaitAnnotations(a.skipAwait) }));
        const specOf = <T>(route: T | undefined, kind: string): T => {
            if (route === undefined) throw new Error(`GatewayApiCanary ${JSON.stringify(name)}: the plan has no ${kind} (a changed protocol?)`);
            return route;
        };
        // Make before break: the backends exist before the route that sends traffic to them.
        const protocol = args.protocol ?? "http";
        this.httpRoute =
            protocol !== "http"
                ? undefined
                : new GatewayApiResource(`${name}-httproute`, { kind: "HTTPRoute", metadata: routeMeta, spec: planned.map((_, p) => specOf(p.httpRoute, "HTTPRoute")) }, { parent: this, dependsOn: backends });
        this.grpcRoute =
            protocol !== "grpc"
                ? undefined
                : new GatewayApiResource(`${name}-grpcroute`, { kind: "GRPCRoute", metadata: routeMeta, spec: planned.map((_, p) => specOf(p.grpcRoute, "GRPCRoute")) }, { parent: this, dependsOn: backends });
        this.tcpRoute =
            protocol !== "tcp"
                ? undefined
                : new GatewayApiResource(`${name}-tcproute`, { kind: "TCPRoute", metadata: routeMeta, spec: planned.map((_, p) => specOf(p.tcpRoute, "TCPRoute")) }, { parent: this, dependsOn: backends });
        this.gatewayHttpRoutes = {};
        shape.gatewayHttpRoutes.forEach((g, i) => {
            this.gatewayHttpRoutes[g.name] = new GatewayApiResource(
                `${g.name}-httproute`,
                {
                    kind: "HTTPRoute",
                    metadata: planned.map((a) => ({ ...objectMeta(g.name, a.namespace, a.labels), annotations: skipAwaitAnnotations(a.skipAwait) })),
                    spec: planned.map((_, p) => itemOf(p.gatewayHttpRoutes, i, "gatewayHttpRoutes").spec),
                },
                { parent: this, dependsOn: [this.destinationRule, ...Object.values(this.versionServices), ...Object.values(this.versionDestinationRules)] },
            );
        });
        this.registerOutputs({
            gatewayHttpRoutes: this.gatewayHttpRoutes,
            destinationRule: this.destinationRule,
            versionServices: this.versionServices,
            versionDestinationRules: this.versionDestinationRules,
            ...(this.httpRoute === undefined ? {} : { httpRoute: this.httpRoute }),
            ...(this.grpcRoute === undefined ? {} : { grpcRoute: this.grpcRoute }),
            ...(this.tcpRoute === undefined ? {} : { tcpRoute: this.tcpRoute }),
            weights: this.weights,
            host: this.host,
        });
    }
}
