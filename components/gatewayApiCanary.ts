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
import { serviceDestinationRule } from "./canaryPlan";
import { GatewayApiResource } from "./gatewayApi/types";
import { GATEWAY_API_CANARY_TOKEN, planGatewayApiCanary, skipAwaitAnnotations, type GatewayApiCanaryArgs } from "./gatewayApiPlan";
import { IstioResource } from "./istio/types";
import { BASE_LABELS, objectMeta } from "./meta";
import { throwIfProblems } from "./meshValidationError";
import type { Weights } from "./routes";

export class GatewayApiCanary extends pulumi.ComponentResource {
    /** The service's DestinationRule (subsets and the host-wide policy). */
    public readonly destinationRule: IstioResource<"DestinationRule">;
    /** The Service of each version, by version label. */
    public readonly versionServices: Record<string, k8s.core.v1.Service>;
    /** The DestinationRule of each version Service that has a policy, by version label. */
    public readonly versionDestinationRules: Record<string, IstioResource<"DestinationRule">>;
    /** The mesh HTTPRoute. */
    public readonly httpRoute: GatewayApiResource<"HTTPRoute">;
    /** The service's HTTPRoutes on other stacks' gateways (`gatewayRoutes`), by name. */
    public readonly gatewayHttpRoutes: Record<string, GatewayApiResource<"HTTPRoute">>;
    /** Live catch-all weights, percent. */
    public readonly weights: Weights;
    /** The destination host. */
    public readonly host: string;

    constructor(name: string, args: GatewayApiCanaryArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const plan = planGatewayApiCanary(name, args);
        throwIfProblems(GATEWAY_API_CANARY_TOKEN, name, plan.problems);
        super(GATEWAY_API_CANARY_TOKEN, name, {}, opts);
        for (const w of plan.warnings) {
            void pulumi.log.warn(w, this);
        }
        this.host = args.service;
        this.weights = plan.weights;
        this.destinationRule = new IstioResource(
            `${name}-dr`,
            { kind: "DestinationRule", metadata: objectMeta(args.service, args.namespace, args.labels), spec: serviceDestinationRule(args.service, plan.destinationRule) },
            { parent: this },
        );
        const labels = { ...BASE_LABELS, ...(args.labels ?? {}) };
        const annotations = skipAwaitAnnotations(args.skipAwait);
        this.versionServices = {};
        for (const v of plan.versionServices) {
            this.versionServices[v.version] = new k8s.core.v1.Service(
                `${name}-${v.version}-service`,
                {
                    metadata: { name: v.name, namespace: args.namespace, labels: { ...labels, ...(args.serviceLabels ?? {}), app: args.service, version: v.version }, annotations },
                    spec: { selector: { app: args.service, version: v.version }, ports: [{ name: "http", port: v.port, targetPort: v.targetPort }] },
                },
                { parent: this },
            );
        }
        this.versionDestinationRules = {};
        for (const dr of plan.versionDestinationRules) {
            const v = plan.versionServices.find((s) => s.name === dr.host);
            this.versionDestinationRules[v?.version ?? dr.host] = new IstioResource(
                `${name}-${v?.version ?? dr.host}-dr`,
                { kind: "DestinationRule", metadata: objectMeta(dr.host, args.namespace, args.labels), spec: { host: dr.host, trafficPolicy: dr.trafficPolicy } },
                { parent: this },
            );
        }
        // Make before break: the backends exist before the route that sends traffic to them.
        this.httpRoute = new GatewayApiResource(
            `${name}-httproute`,
            { kind: "HTTPRoute", metadata: { ...objectMeta(args.service, args.namespace, args.labels), annotations }, spec: plan.httpRoute },
            { parent: this, dependsOn: [this.destinationRule, ...Object.values(this.versionServices), ...Object.values(this.versionDestinationRules)] },
        );
        this.gatewayHttpRoutes = {};
        for (const g of plan.gatewayHttpRoutes) {
            this.gatewayHttpRoutes[g.name] = new GatewayApiResource(
                `${g.name}-httproute`,
                { kind: "HTTPRoute", metadata: { ...objectMeta(g.name, args.namespace, args.labels), annotations }, spec: g.spec },
                { parent: this, dependsOn: [this.destinationRule, ...Object.values(this.versionServices), ...Object.values(this.versionDestinationRules)] },
            );
        }
        this.registerOutputs({
            gatewayHttpRoutes: this.gatewayHttpRoutes,
            destinationRule: this.destinationRule,
            versionServices: this.versionServices,
            versionDestinationRules: this.versionDestinationRules,
            httpRoute: this.httpRoute,
            weights: this.weights,
            host: this.host,
        });
    }
}
