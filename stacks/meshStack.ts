/**
 * The stack: creates the components of a parsed, checked config from its plan (stacks/meshPlan.ts). The only
 * file of stacks/ that loads the Kubernetes provider.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Canary, EgressGateway, GatewayApiCanary, GatewayApiEgress, GatewayApiIngress, IngressGateway, InternalGateway, IstioRouting, Waypoint, Workloads } from "../components";
import { DATAPLANE_MODE_LABEL, USE_WAYPOINT_LABEL } from "../components/gatewayApiPlan";
import { BASE_LABELS } from "../components/meta";
import type { StackConfig } from "../contract/schema";
import type { PlatformOutputs } from "../contract/platformOutput";
import { EGRESS_NAME, INGRESS_NAME, INTERNAL_GATEWAY_NAME, ROUTING_NAME, meshStackOutputs, type MeshStackOutputs } from "./meshPlan";
import { isStackPlan, planStack, type StackPlan } from "./stackPlan";

/** The components of a deployed stack, for tests and for callers that add to a stack. */
export interface MeshStack {
    namespace: k8s.core.v1.Namespace | undefined;
    workloads: Record<string, Workloads>;
    canaries: Record<string, Canary>;
    ingress: IngressGateway | undefined;
    internalGateway: InternalGateway | undefined;
    egress: EgressGateway | undefined;
    routing: IstioRouting | undefined;
    /** `routingApi: gateway-api` only (then `canaries` is empty and `ingress` undefined): the Gateway API components. */
    gatewayApi?: {
        canaries: Record<string, GatewayApiCanary>;
        ingress: GatewayApiIngress | undefined;
        /** The internal gateway: a plain-HTTP Gateway API ingress of its own. */
        internalGateway: GatewayApiIngress | undefined;
        egress: GatewayApiEgress | undefined;
        waypoints: Record<string, Waypoint>;
    };
    outputs: MeshStackOutputs;
}

/**
 * The labels of the namespace's data plane: sidecars (`istio-injection=enabled`), or ambient mode
 * (`istio.io/dataplane-mode=ambient`) and its waypoint (`istio.io/use-waypoint`).
 */
export function namespaceModeLabels(cfg: StackConfig): Record<string, string> {
    if (!cfg.ambient.enabled) {
        return { "istio-injection": "enabled" };
    }
    return { [DATAPLANE_MODE_LABEL]: "ambient", ...(cfg.ambient.waypoint === "" ? {} : { [USE_WAYPOINT_LABEL]: cfg.ambient.waypoint }) };
}

/**
 * Creates every component of a checked stack: its plan as the config check made it (`checkStackConfig(...).plan`,
 * stacks/stackPlan.ts), whose component plans the components take as they are; or a parsed config, planned here
 * (`platform`: a service stack's platform output). Every child waits for the namespace: a `transformations` entry
 * on each component adds the dependency to all of its children (dependsOn on a component alone does not reach them).
 */
export function buildMeshStack(checked: StackPlan | StackConfig, platform?: PlatformOutputs): MeshStack {
    const stack = isStackPlan(checked) ? checked : planStack(checked, platform);
    return buildPlan(stack);
}

function buildPlan(stack: StackPlan): MeshStack {
    const { config: cfg, mesh: plan, platform } = stack;
    const namespace = plan.createNamespace
        ? new k8s.core.v1.Namespace("namespace", {
              metadata: {
                  name: plan.namespace,
                  labels: { ...BASE_LABELS, ...namespaceModeLabels(cfg) },
                  annotations: plan.skipAwait ? { "pulumi.com/skipAwait": "true" } : {},
              },
          })
        : undefined;
    const opts: pulumi.ComponentResourceOptions =
        namespace === undefined
            ? {}
            : {
                  transformations: [
                      (t) => ({ props: t.props, opts: pulumi.mergeOptions(t.opts, { dependsOn: [namespace] }) }),
                  ],
              };
    const workloads: Record<string, Workloads> = {};
    for (const w of plan.workloads) {
        workloads[w.service] = new Workloads(w.service, w.args, opts);
    }
    const gw = stack.gatewayApi;
    if (gw !== undefined) {
        // routingApi gateway-api (stacks/stackPlan.ts plans these args in that mode only); stacks/gatewayApi.ts refuses what
        // this mode cannot express before anything is registered.
        const gwCanaries: Record<string, GatewayApiCanary> = {};
        for (const c of gw.canaries) {
            gwCanaries[c.service] = new GatewayApiCanary(c.service, c.args, opts);
        }
        return {
            namespace,
            workloads,
            canaries: {},
            ingress: undefined,
            internalGateway: undefined,
            egress: undefined,
            gatewayApi: {
                canaries: gwCanaries,
                ingress: gw.ingress === undefined ? undefined : new GatewayApiIngress(INGRESS_NAME, gw.ingress, opts),
                internalGateway: gw.internalGateway === undefined ? undefined : new GatewayApiIngress(INTERNAL_GATEWAY_NAME, gw.internalGateway, opts),
                egress: gw.egress === undefined ? undefined : new GatewayApiEgress(EGRESS_NAME, gw.egress, opts),
                waypoints: Object.fromEntries(gw.waypoints.map((w) => [w.name, new Waypoint(w.name, w.args, opts)])),
            },
            // routing's DestinationRules, ServiceEntries, Gateways and Sidecars (stacks/gatewayApi.ts refuses its VirtualServices here).
            routing: plan.routing === undefined ? undefined : new IstioRouting(ROUTING_NAME, plan.routing, opts),
            outputs: meshStackOutputs(cfg, platform),
        };
    }
    const canaries: Record<string, Canary> = {};
    for (const c of plan.canaries) {
        canaries[c.service] = new Canary(c.service, c.args, opts);
    }
    return {
        namespace,
        workloads,
        canaries,
        ingress: plan.ingress === undefined ? undefined : new IngressGateway(INGRESS_NAME, plan.ingress, opts),
        internalGateway:
            plan.internalGateway === undefined ? undefined : new InternalGateway(INTERNAL_GATEWAY_NAME, plan.internalGateway, opts),
        egress: plan.egress === undefined ? undefined : new EgressGateway(EGRESS_NAME, plan.egress, opts),
        routing: plan.routing === undefined ? undefined : new IstioRouting(ROUTING_NAME, plan.routing, opts),
        outputs: meshStackOutputs(cfg, platform),
    };
}
