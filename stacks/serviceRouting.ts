/**
 * `routing` in a service stack (layout service): the service's own route table. A service stack may hold one
 * VirtualService, named like its service, whose http routes come first and whose last route releases the service
 * (`{ release: <svc> }`: its pins, A/B flag, faults and the weighted catch-all mesh-release moves). Its routes become
 * the service's delegate VirtualService's, so the platform's gateway roots and the service's mesh root (both delegate
 * to it) route with them. What a delegate cannot carry is refused, before anything is registered: gateways (the
 * platform binds them), tcp and tls routes (Istio drops them from a delegate), delegation (one level only), other
 * kinds (the platform stack's), hosts other than the service's. Pure.
 */
import { planIstioRouting } from "../components/istioRoutingPlan";
import { planCanary } from "../components/canaryPlan";
import { planOnce } from "../components/planOnce";
import { show } from "../components/validation";
import { ROUTING_KEYS, ROUTING_KINDS } from "../contract/istioKinds";
import { RELEASE_FIELD } from "../contract/istioSpec";
import { setFix } from "../contract/paths";
import type { StackConfig } from "../contract/schema";
import type { RuleProblem } from "./ruleProblem";

type Spec = Record<string, unknown>;
const isObject = (v: unknown): v is Spec => v !== null && typeof v === "object" && !Array.isArray(v);

/** The http routes of a service stack's route table before its release: the service's delegate puts them first. */
export function serviceRoutesBefore(cfg: StackConfig, service: string): Record<string, unknown>[] | undefined {
    if (cfg.layout !== "service") return undefined;
    const vs = cfg.routing.virtualServices[service];
    if (vs === undefined) return undefined;
    const http = Array.isArray(vs["http"]) ? (vs["http"] as unknown[]) : [];
    const at = http.findIndex((r) => isObject(r) && r[RELEASE_FIELD] !== undefined);
    return http.slice(0, at < 0 ? http.length : at).filter(isObject);
}

/** The rules of `routing` in a service stack; none in other layouts. */
export function checkServiceRouting(cfg: StackConfig, canaryArgsOf: (svc: string) => Parameters<typeof planCanary>[1] | undefined): RuleProblem[] {
    if (cfg.layout !== "service") return [];
    const out: RuleProblem[] = [];
    const service = Object.keys(cfg.services)[0];
    const push = (path: string, value: unknown, reason: string, fix: string): void => {
        out.push({ propertyPath: path, reason: `${path} is ${show(value)}; ${reason}`, fix });
    };
    for (const kind of ROUTING_KINDS.filter((k) => k !== "VirtualService")) {
        const key = ROUTING_KEYS[kind];
        const names = Object.keys((cfg.routing as Record<string, Record<string, unknown>>)[key] ?? {});
        if (names.length > 0) {
            push(`routing.${key}`, names, `a service stack's routing holds its service's route table only (routing.virtualServices.${service ?? "<svc>"}); ${kind}s belong in the platform stack`, `pulumi config rm --path 'routing.${key}' here, and set it in the platform stack`);
        }
    }
    for (const [name, spec] of Object.entries(cfg.routing.virtualServices)) {
        const p = `routing.virtualServices.${name}`;
        if (service === undefined) continue;
        if (name !== service) {
            push(p, name, `a service stack's route table is the VirtualService named like its service (${show(service)})`, `pulumi config rm --path '${p}', then set 'routing.virtualServices.${service}'`);
            continue;
        }
        if (spec["gateways"] !== undefined) push(`${p}.gateways`, spec["gateways"], "the platform stack binds gateways: its gateway roots delegate to this service's routes (ingress.routes there)", `pulumi config rm --path '${p}.gateways'`);
        for (const f of ["tcp", "tls"]) {
            if (spec[f] !== undefined) push(`${p}.${f}`, "[...]", `these routes would go into the service's delegate VirtualService, and Istio drops ${f} routes from a delegate; route TCP/TLS in the platform stack's routing`, `pulumi config rm --path '${p}.${f}'`);
        }
        const args = canaryArgsOf(service);
        // The stack's own Canary args: their one plan (components/planOnce.ts); a Canary's hosts are its service otherwise.
        const ownHosts = args === undefined ? planCanary(service, { namespace: cfg.namespace, service, port: 80, stable: { version: "v1" } }).hosts : planOnce(planCanary, args, service).hosts;
        const hosts = Array.isArray(spec["hosts"]) ? (spec["hosts"] as unknown[]) : undefined;
        if (hosts !== undefined && (hosts.length !== ownHosts.length || !hosts.every((h) => typeof h === "string" && ownHosts.includes(h)))) {
            push(`${p}.hosts`, hosts, `the route table serves the service's own hosts (${ownHosts.map((h) => show(h)).join(", ")}), through its mesh root and the platform's gateways; leave hosts out`, `pulumi config rm --path '${p}.hosts'`);
        }
        const http = Array.isArray(spec["http"]) ? (spec["http"] as unknown[]) : [];
        http.forEach((r, i) => {
            if (isObject(r) && r["delegate"] !== undefined) push(`${p}.http[${i}].delegate`, r["delegate"], "the route table is itself a delegate, and Istio delegates one level only", `pulumi config rm --path '${p}.http[${i}].delegate'`);
        });
        const last = http[http.length - 1];
        if (!isObject(last) || last[RELEASE_FIELD] !== service) {
            push(`${p}.http`, "[...]", `a service stack's route table must end with the route { ${RELEASE_FIELD}: ${service} }: the service's pins and the weighted catch-all mesh-release moves`, setFix(`${p}.http[${http.length}].${RELEASE_FIELD}`, { value: service }));
        }
        // Istio's references (subsets the service's DestinationRule defines, regexes...), as in any VirtualService.
        const given = args;
        if (given !== undefined) {
            const plan = planCanary(service, { ...given, routesBefore: undefined });
            const checked = planIstioRouting({
                namespace: cfg.namespace,
                objects: { virtualServices: { [name]: { ...spec, hosts: plan.hosts, gateways: undefined, tcp: undefined, tls: undefined } } },
                context: { serviceHosts: Object.fromEntries(plan.hosts.map((h) => [h, plan.subsets.map((s) => s.name)])), serviceRoutes: { [service]: { hosts: plan.hosts, http: plan.http } } },
            });
            for (const prob of checked.problems) {
                if (/\.(hosts|gateways|tcp|tls)(\[|$)/.test(prob.propertyPath)) continue;
                const path = `routing.${prob.propertyPath}`;
                out.push({ propertyPath: path, reason: prob.reason.replace(prob.propertyPath, path), fix: setFix(path) });
            }
        }
    }
    return out;
}
