/**
 * `GatewayApiIngress`: the ingress with the Gateway API (plan: gatewayApiPlan.ts): a `Gateway` of class `istio`
 * with an HTTP listener, whose HTTPRoute redirects to HTTPS, and an HTTPS listener terminating TLS with the
 * Secret `credentialName` (with `protocol: "HTTP"`: the HTTP listener only, no redirect); an HTTPRoute per route,
 * attached to the HTTPS (or the plain HTTP) listener, to the routed service's version Services with its catch-all's
 * weights.
 */
import * as pulumi from "@pulumi/pulumi";
import { GatewayApiResource, type HTTPRouteSpec } from "./gatewayApi/types";
import { ISTIO_SERVICE_TYPE } from "./gatewayApiEgressPlan";
import { GATEWAY_API_INGRESS_TOKEN, planGatewayApiIngress, skipAwaitAnnotations, type GatewayApiIngressArgs } from "./gatewayApiPlan";
import { objectMeta } from "./meta";
import { itemOf, PlannedArgs, type Plain } from "./inputs";
import { reusePlan } from "./planOnce";

/** The redirect route of an HTTPS ingress's plan (planned whenever protocol is HTTPS, which is plain). */
function redirectOf(spec: HTTPRouteSpec | undefined): HTTPRouteSpec {
    if (spec === undefined) throw new Error("the plan of an HTTPS ingress has no redirect route");
    return spec;
}

export class GatewayApiIngress extends pulumi.ComponentResource {
    /** The Gateway. */
    public readonly gateway: GatewayApiResource<"Gateway">;
    /** The HTTP listener's HTTPRoute: a redirect to HTTPS. Undefined with protocol HTTP (no redirect). */
    public readonly redirectRoute: GatewayApiResource<"HTTPRoute"> | undefined;
    /** One HTTPRoute per route, in the order of `routes`. */
    public readonly routes: GatewayApiResource<"HTTPRoute">[];
    /** The external hosts. */
    public readonly hosts: pulumi.Output<string[]>;

    constructor(name: string, args: GatewayApiIngressArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const planned = PlannedArgs.check(args, {
            token: GATEWAY_API_INGRESS_TOKEN,
            name,
            plan: (a: Plain<GatewayApiIngressArgs>) => reusePlan(planGatewayApiIngress, a, name),
            structural: ["routes", "protocol"],
        });
        super(GATEWAY_API_INGRESS_TOKEN, name, {}, opts);
        planned.attach(this);
        this.hosts = planned.output((a) => [...a.hosts]);
        const meta = (objectName: string) =>
            planned.map((a) => ({ ...objectMeta(objectName, a.namespace, a.labels), annotations: skipAwaitAnnotations(a.skipAwait) }));
        const gatewayMeta = planned.map((a) => ({
            ...objectMeta(name, a.namespace, a.labels),
            annotations: { ...(a.serviceType === undefined ? {} : { [ISTIO_SERVICE_TYPE]: a.serviceType }), ...skipAwaitAnnotations(a.skipAwait) },
        }));
        this.gateway = new GatewayApiResource(`${name}-gateway`, { kind: "Gateway", metadata: gatewayMeta, spec: planned.map((_, p) => p.gateway) }, { parent: this });
        // A plain-HTTP ingress has no redirect (`protocol` is plain: it decides whether the object exists).
        this.redirectRoute =
            (args.protocol ?? "HTTPS") === "HTTP"
                ? undefined
                : new GatewayApiResource(
                      `${name}-https-redirect`,
                      { kind: "HTTPRoute", metadata: meta(`${name}-https-redirect`), spec: planned.map((_, p) => redirectOf(p.redirectRoute)) },
                      { parent: this, dependsOn: [this.gateway] },
                  );
        this.routes = planned.shape.routes.map(
            (r, i) =>
                new GatewayApiResource(
                    `${r.name}-httproute`,
                    { kind: "HTTPRoute", metadata: meta(r.name), spec: planned.map((_, p) => itemOf(p.routes, i, "routes").spec) },
                    { parent: this, dependsOn: [this.gateway] },
                ),
        );
        this.registerOutputs({ gateway: this.gateway, redirectRoute: this.redirectRoute, routes: this.routes, hosts: this.hosts });
    }
}
