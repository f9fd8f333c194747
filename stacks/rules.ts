/**
 * Rules across the keys of a stack config that already has the right shape, which no single component can
 * see: a gateway route names a service that exists, a mesh host belongs to one service, an enabled ingress
 * has TLS, the stable and canary versions differ, an unrouted canary has weight 0.
 *
 * Istio's value rules (Go durations of at least 1ms, RE2 regexes, hosts, weights, one DestinationRule per
 * host, shadowed prefixes) are NOT repeated here: stacks/config.ts runs the components' own pure plans on
 * the config and reports their problems at the config path they came from. Pure: returns every problem.
 */
import { show, type Problem } from "../components/validation";
import type { IngressConfig, InternalGatewayConfig, ServiceConfig, StackConfig } from "./schema";

/** A problem with the fix to print under it. */
export interface RuleProblem extends Problem {
    fix: string;
}

/** `pulumi config set --path '<path>' <what>`. */
export const setFix = (path: string, what = "<valid value>"): string => `pulumi config set --path '${path}' ${what}`;

const rule = (propertyPath: string, reason: string, fix: string): RuleProblem => ({ propertyPath, reason, fix });

/** The mesh hosts of a service: `hosts`, or the service name. */
export const serviceHosts = (name: string, svc: ServiceConfig): string[] => svc.hosts ?? [name];

function checkService(name: string, svc: ServiceConfig): RuleProblem[] {
    const p = `services.${name}`;
    const c = svc.canary;
    const out: RuleProblem[] = [];
    if (c.version !== undefined && c.version === svc.stable.version) {
        out.push(
            rule(
                `${p}.canary.version`,
                `${p}.canary.version is ${show(c.version)}, the same as ${p}.stable.version; the stable and canary ` +
                    `subsets would select the same pods and share one Deployment name`,
                `pulumi config rm --path '${p}.canary.version' (after a promotion), or set another version`,
            ),
        );
    }
    if (!c.routed && c.weight > 0) {
        out.push(
            rule(
                `${p}.canary.weight`,
                `${p}.canary.weight is ${c.weight} but ${p}.canary.routed is false; an unrouted canary takes no traffic, ` +
                    `so its weight must be 0`,
                setFix(`${p}.canary.weight`, "0"),
            ),
        );
    }
    return out;
}

function checkGatewayServices(
    key: "ingress" | "internalGateway",
    gw: IngressConfig | InternalGatewayConfig,
    services: StackConfig["services"],
): RuleProblem[] {
    if (!gw.enabled) {
        return [];
    }
    return gw.routes.flatMap((r, i) =>
        services[r.service] !== undefined
            ? []
            : [
                  rule(
                      `${key}.routes[${i}].service`,
                      `${key}.routes[${i}].service is ${show(r.service)}, which is not a key of services; it must name ` +
                          `a service of this stack (${Object.keys(services).map((s) => show(s)).join(", ") || "none defined"})`,
                      setFix(`${key}.routes[${i}].service`, "<one of services>"),
                  ),
              ],
    );
}

function checkIngressTls(ingress: IngressConfig): RuleProblem[] {
    if (!ingress.enabled || ingress.tls !== undefined) {
        return [];
    }
    return [
        rule(
            "ingress.tls",
            "ingress.tls is missing; an enabled ingress serves HTTPS on httpsPort and must set tls.mode (SIMPLE or MUTUAL) " +
                "and tls.credentialName (the Kubernetes TLS Secret)",
            `${setFix("ingress.tls.mode", "SIMPLE")} && ${setFix("ingress.tls.credentialName", "<secret name>")}`,
        ),
    ];
}

/** A mesh host belongs to one service: two VirtualServices for one host are merged unpredictably by Istio. */
function checkHostOwners(services: StackConfig["services"]): RuleProblem[] {
    const owner = new Map<string, string>();
    const out: RuleProblem[] = [];
    for (const [name, svc] of Object.entries(services)) {
        serviceHosts(name, svc).forEach((host, i) => {
            const first = owner.get(host);
            if (first === undefined) {
                owner.set(host, name);
                return;
            }
            out.push(
                rule(
                    `services.${name}.hosts[${i}]`,
                    `services.${name}.hosts[${i}] is ${show(host)}, which services.${first} already claims; ` +
                        `each host must belong to exactly one service (one mesh VirtualService per host)`,
                    `pulumi config rm --path 'services.${name}.hosts[${i}]', or merge the two services`,
                ),
            );
        });
    }
    return out;
}

/** Every cross-key problem of a config that passed the schema. */
export function checkStackRules(cfg: StackConfig): RuleProblem[] {
    return [
        ...Object.entries(cfg.services).flatMap(([name, svc]) => checkService(name, svc)),
        ...checkHostOwners(cfg.services),
        ...checkGatewayServices("ingress", cfg.ingress, cfg.services),
        ...checkIngressTls(cfg.ingress),
        ...checkGatewayServices("internalGateway", cfg.internalGateway, cfg.services),
    ];
}
