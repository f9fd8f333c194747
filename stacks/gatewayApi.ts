/**
 * A stack with `routingApi: gateway-api`: the args of its Gateway API components (components/gatewayApiPlan.ts) from
 * the same plan the Istio mode builds (stacks/meshPlan.ts), and what this mode refuses, at config paths. Pure: loads
 * no Pulumi SDK.
 *
 * Refused in this mode, each with the stack, path, value, rule and fix (never dropped): what the Gateway API's
 * standard channel cannot say (components/gatewayApiPlan.ts: faults, retries, extra mesh hosts, non-GEP-2257
 * durations, oversized routes), and what this slice does not emit yet: layouts platform and service, the internal
 * gateway, egress.
 */
import {
    ingressRoute,
    planGatewayApiCanary,
    planGatewayApiIngress,
    type GatewayApiCanaryArgs,
    type GatewayApiIngressArgs,
} from "../components/gatewayApiPlan";
import { own } from "../components/ownKeys";
import { show } from "../components/validation";
import type { Plain } from "../components/inputs";
import type { StackConfig } from "../contract/schema";
import { atConfig, INGRESS_NAME, planMeshStack, type MeshPlan } from "./meshPlan";
import type { RuleProblem } from "./rules";

/** The Gateway API components' args of a stack. */
export interface GatewayApiStackArgs {
    /** One per service: its DestinationRules, version Services and mesh HTTPRoute. */
    canaries: { service: string; args: Plain<GatewayApiCanaryArgs> }[];
    ingress: Plain<GatewayApiIngressArgs> | undefined;
}

/** Pure: the Gateway API components' args of a config, from its mesh plan (the Istio mode's args of each component). */
export function gatewayApiStackArgs(cfg: StackConfig, plan: MeshPlan = planMeshStack(cfg)): GatewayApiStackArgs {
    const targetPorts = new Map(plan.workloads.map((w) => [w.service, w.args.targetPort]));
    const canaries = plan.canaries.map(({ service, args }) => {
        const targetPort = targetPorts.get(service);
        return { service, args: { ...args, ...(targetPort === undefined ? {} : { targetPort }), skipAwait: cfg.skipAwait } };
    });
    const ing = plan.ingress;
    const ingress: Plain<GatewayApiIngressArgs> | undefined =
        ing === undefined
            ? undefined
            : {
                  namespace: ing.namespace,
                  hosts: ing.hosts,
                  tls: ing.tls,
                  skipAwait: cfg.skipAwait,
                  ...(ing.httpPort === undefined ? {} : { httpPort: ing.httpPort }),
                  ...(ing.httpsPort === undefined ? {} : { httpsPort: ing.httpsPort }),
                  routes: cfg.ingress.routes.map((r) => {
                      const svc = own(cfg.services, r.service);
                      // An unknown service is reported by rules.ts; route to its name so the plan stays total.
                      if (svc === undefined) {
                          return { prefix: r.prefix, service: r.service, backends: [{ name: r.service, port: 80 }] };
                      }
                      const versions = svc.canary.version === undefined ? { stable: svc.stable.version } : { stable: svc.stable.version, canary: svc.canary.version };
                      const canary = plan.canaries.find((c) => c.service === r.service)?.args.canary;
                      return ingressRoute(r.prefix, r.service, svc.port, versions, canary);
                  }),
              };
    return { canaries, ingress };
}

const ISTIO_FIX = "pulumi config set routingApi istio";

/** Keys of a service the Gateway API mode refuses outright: removing them is the fix. */
const REMOVABLE = new Set(["faults", "retries", "hosts"]);

/** What this slice does not emit with the Gateway API yet, at the key that asks for it. */
function notYet(cfg: StackConfig): RuleProblem[] {
    const out: RuleProblem[] = [];
    if (cfg.layout !== "single") {
        out.push({
            propertyPath: "routingApi",
            reason:
                `routingApi is "gateway-api" but layout is ${show(cfg.layout)}; per-service stacks are not emitted with the Gateway API yet ` +
                "(the platform stack would own the Gateway and which namespaces' routes it admits, each service stack its HTTPRoutes): " +
                "use routingApi istio in every stack of a per-service environment, or layout single",
            fix: ISTIO_FIX,
            about: ["layout"],
        });
    }
    for (const name of Object.keys(cfg.routing.virtualServices)) {
        out.push({
            propertyPath: `routing.virtualServices.${name}`,
            reason:
                `routing.virtualServices.${name} is set but routingApi is "gateway-api"; Istio does not support a VirtualService and an HTTPRoute ` +
                "routing the same workloads, and this mode routes every service with HTTPRoutes: keep routing's DestinationRules, ServiceEntries, " +
                "Gateways and Sidecars, and route with routingApi istio",
            fix: `pulumi config rm --path 'routing.virtualServices.${name}'   # or: ${ISTIO_FIX}`,
        });
    }
    if (cfg.internalGateway.enabled) {
        out.push({
            propertyPath: "internalGateway.enabled",
            reason: "internalGateway.enabled is true; the internal gateway is not emitted with the Gateway API yet (routingApi gateway-api): disable it or use routingApi istio",
            fix: `pulumi config set --path 'internalGateway.enabled' false   # or: ${ISTIO_FIX}`,
        });
    }
    if (cfg.egress.length > 0) {
        out.push({
            propertyPath: "egress",
            reason: `egress is ${show(cfg.egress.map((e) => e.host))}; egress through the egress gateway is not emitted with the Gateway API yet (routingApi gateway-api): remove the egress hosts or use routingApi istio`,
            fix: `pulumi config rm --path 'egress'   # or: ${ISTIO_FIX}`,
        });
    }
    if (cfg.egressGateway.registryOnly) {
        out.push({
            propertyPath: "egressGateway.registryOnly",
            reason: "egressGateway.registryOnly is true; the egress gateway and its REGISTRY_ONLY Sidecar are not emitted with the Gateway API yet (routingApi gateway-api): turn it off or use routingApi istio",
            fix: `pulumi config set --path 'egressGateway.registryOnly' false   # or: ${ISTIO_FIX}`,
        });
    }
    return out;
}

/**
 * Every problem of a `routingApi: gateway-api` config at its config path (none in the Istio mode): the refusals, and
 * the Gateway API components' own checks (a Canary's and an IngressGateway's repeat the Istio mode's, and are
 * reported once: stacks/config.ts keeps each problem once).
 */
export function checkGatewayApi(cfg: StackConfig): RuleProblem[] {
    if (cfg.routingApi !== "gateway-api") {
        return [];
    }
    const out = notYet(cfg);
    if (cfg.layout !== "single") {
        return out;
    }
    const args = gatewayApiStackArgs(cfg);
    for (const c of args.canaries) {
        const p = `services.${c.service}`;
        for (const problem of atConfig(planGatewayApiCanary(c.service, c.args).problems, [["namespace", "namespace"], ["service", p]], p)) {
            const key = problem.propertyPath.slice(p.length + 1);
            out.push(REMOVABLE.has(key) ? { ...problem, fix: `pulumi config rm --path '${problem.propertyPath}'   # or: ${ISTIO_FIX}` } : problem);
        }
    }
    if (args.ingress !== undefined && cfg.ingress.tls !== undefined) {
        // A missing ingress.tls is reported once, by rules.ts.
        const routes = cfg.ingress.routes.map((_, i) => [`routes[${i}].backends`, `ingress.routes[${i}].service`] as const);
        // (`routes[i].prefix` falls through to ingress.routes[i].prefix.)
        out.push(...atConfig(planGatewayApiIngress(INGRESS_NAME, args.ingress).problems, [["namespace", "namespace"], ...routes], "ingress"));
    }
    return out;
}
