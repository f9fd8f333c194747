/**
 * `GatewayApiIngress`: the ingress with the Gateway API (plan: gatewayApiPlan.ts): a `Gateway` of class `istio`
 * with an HTTP listener, whose HTTPRoute redirects to HTTPS, and an HTTPS listener terminating TLS with the
 * Secret `credentialName`; an HTTPRoute per route, attached to the HTTPS listener, to the routed service's version
 * Services with its catch-all's weights.
 */
import * as pulumi from "@pulumi/pulumi";
import { GatewayApiResource } from "./gatewayApi/types";
import { GATEWAY_API_INGRESS_TOKEN, planGatewayApiIngress, skipAwaitAnnotations, type GatewayApiIngressArgs } from "./gatewayApiPlan";
import { objectMeta } from "./meta";
import { throwIfProblems } from "./meshValidationError";

export class GatewayApiIngress extends pulumi.ComponentResource {
    /** The Gateway. */
    public readonly gateway: GatewayApiResource<"Gateway">;
    /** The HTTP listener's HTTPRoute: a redirect to HTTPS. */
    public readonly redirectRoute: GatewayApiResource<"HTTPRoute">;
    /** One HTTPRoute per route, in the order of `routes`. */
    public readonly routes: GatewayApiResource<"HTTPRoute">[];
    /** The external hosts. */
    public readonly hosts: string[];

    constructor(name: string, args: GatewayApiIngressArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const plan = planGatewayApiIngress(name, args);
        throwIfProblems(GATEWAY_API_INGRESS_TOKEN, name, plan.problems);
        super(GATEWAY_API_INGRESS_TOKEN, name, {}, opts);
        for (const w of plan.warnings) {
            void pulumi.log.warn(w, this);
        }
        this.hosts = [...args.hosts];
        const meta = (objectName: string) => ({ ...objectMeta(objectName, args.namespace, args.labels), annotations: skipAwaitAnnotations(args.skipAwait) });
        this.gateway = new GatewayApiResource(
            `${name}-gateway`,
            { kind: "Gateway", metadata: meta(name), spec: plan.gateway },
            { parent: this },
        );
        this.redirectRoute = new GatewayApiResource(
            `${name}-https-redirect`,
            { kind: "HTTPRoute", metadata: meta(`${name}-https-redirect`), spec: plan.redirectRoute },
            { parent: this, dependsOn: [this.gateway] },
        );
        this.routes = plan.routes.map(
            (r) =>
                new GatewayApiResource(
                    `${r.name}-httproute`,
                    { kind: "HTTPRoute", metadata: meta(r.name), spec: r.spec },
                    { parent: this, dependsOn: [this.gateway] },
                ),
        );
        this.registerOutputs({ gateway: this.gateway, redirectRoute: this.redirectRoute, routes: this.routes, hosts: this.hosts });
    }
}
