/**
 * Rules across the keys of a stack config that already has the right shape, which no single component can
 * see: a gateway route names a service that exists, a mesh host belongs to one service, an enabled ingress
 * has TLS, the stable and canary versions differ, an unrouted canary has weight 0.
 *
 * Istio's value rules (Go durations of at least 1ms, RE2 regexes, hosts, weights, one DestinationRule per
 * host, shadowed prefixes) are NOT repeated here: stacks/config.ts runs the components' own pure plans on
 * the config and reports their problems at the config path they came from. Pure: returns every problem.
 */
import { qualifyHost } from "../components/destinationRuleClaims";
import { own } from "../components/ownKeys";
import { defaultSessionCookie } from "../components/routes";
import { show } from "../components/validation";
import { didYouMean } from "../contract/didYouMean";
import { setFix } from "../contract/paths";
import { releaseRules } from "../contract/releaseRules";
import type { IngressConfig, InternalGatewayConfig, ServiceConfig, StackConfig, TrafficPolicyConfig } from "../contract/schema";
import { checkExactRoutes, rootRoutes } from "./layout";

import type { RuleProblem } from "./ruleProblem";
export type { RuleProblem } from "./ruleProblem";


const rule = (propertyPath: string, reason: string, fix: string): RuleProblem => ({ propertyPath, reason, fix });

/** The mesh hosts of a service: `hosts`, or the service name. */
export const serviceHosts = (name: string, svc: ServiceConfig): string[] => svc.hosts ?? [name];

/** `loadBalancer` sets one of simple and consistentHash: Istio applies one, the other would be dropped. */
function checkLoadBalancer(path: string, tp: TrafficPolicyConfig | undefined): RuleProblem[] {
    const lb = tp?.loadBalancer;
    if (lb?.simple === undefined || lb.consistentHash === undefined) {
        return [];
    }
    const p = `${path}.loadBalancer`;
    return [
        rule(
            p,
            `${p} sets both simple and consistentHash; Istio applies one: set simple or consistentHash, not both`,
            `pulumi config rm --path '${p}.simple' (to hash) or pulumi config rm --path '${p}.consistentHash'`,
        ),
    ];
}

const HEADER_PIN_KEYS = ["header", "exact", "prefix", "regex"] as const;
const COOKIE_PIN_KEYS = ["cookie", "value"] as const;

/** A pin is `{ header, exact | prefix | regex }` or `{ cookie, value }`; a key of the other kind would be dropped. */
function checkPinKinds(name: string, pins: ServiceConfig["pins"]): RuleProblem[] {
    return pins.flatMap((pin, i) => {
        const p = `services.${name}.pins[${i}]`;
        if (pin.header !== undefined && pin.cookie !== undefined) {
            return [
                rule(
                    p,
                    `${p} sets header and cookie; a pin is either { header, exact | prefix | regex } or { cookie, value }: split it into two pins`,
                    `pulumi config rm --path '${p}.cookie', then add the cookie pin as its own element of services.${name}.pins`,
                ),
            ];
        }
        const cookie = pin.cookie !== undefined;
        const foreign = (cookie ? HEADER_PIN_KEYS : COOKIE_PIN_KEYS).filter((k) => pin[k] !== undefined);
        if (foreign.length === 0) {
            return [];
        }
        return [
            rule(
                p,
                cookie
                    ? `${p} is a cookie pin but sets ${foreign.join(", ")}; a cookie pin takes only cookie and value`
                    : `${p} is a header pin but sets ${foreign.join(", ")}; a header pin takes header and one of exact, prefix, regex`,
                foreign.map((k) => `pulumi config rm --path '${p}.${k}'`).join(" && "),
            ),
        ];
    });
}

/**
 * A version that routes send traffic to needs pods: with 0 replicas its subset selects no endpoint, istiod reports
 * the cluster without instances (push status `pilot_eds_no_instances`) and Envoy answers that share with 503 UH.
 */
function checkRoutedReplicas(name: string, svc: ServiceConfig): RuleProblem[] {
    const p = `services.${name}`;
    const c = svc.canary;
    const canaryRouted = c.version !== undefined && c.routed;
    const canaryTakes = canaryRouted && (c.weight > 0 || svc.pins.length > 0 || svc.abTest !== undefined);
    const stableTakes = !canaryRouted || c.weight < 100;
    const out: RuleProblem[] = [];
    const check = (role: "stable" | "canary", takes: boolean, own: number | undefined, why: string): void => {
        if (!takes || (own ?? svc.replicas) !== 0) return;
        const at = own === undefined ? `${p}.replicas` : `${p}.${role}.replicas`;
        out.push({
            ...rule(
                at,
                `${at} is 0 but ${why} ${role} version ${show(svc[role].version)}: its subset would select no endpoint ` +
                    "(istiod: cluster without instances) and Envoy answers that traffic with 503 (no healthy upstream)",
                `${setFix(`${p}.${role}.replicas`, { value: "1" })}${role === "canary" ? `, or route nothing to it: ${setFix(`${p}.canary.routed`, { value: "false" })} and weight 0` : ""}`,
            ),
            // The share it names follows from the canary's settings: a refused one (weight 120) would be judged as its default.
            about: ["weight", "routed", "version"].map((k) => `${p}.canary.${k}`).concat([`${p}.pins`, `${p}.abTest`]),
        });
    };
    check("stable", stableTakes, svc.stable.replicas, `the catch-all route sends ${canaryRouted ? 100 - c.weight : 100} % to the`);
    check("canary", canaryTakes, c.replicas, c.weight > 0 ? `the catch-all route sends ${c.weight} % to the` : "header pins or the A/B flag route to the");
    return out;
}

function checkService(name: string, svc: ServiceConfig): RuleProblem[] {
    const p = `services.${name}`;
    const c = svc.canary;
    const out: RuleProblem[] = [
        ...checkLoadBalancer(`${p}.trafficPolicy`, svc.trafficPolicy),
        ...checkLoadBalancer(`${p}.stable.trafficPolicy`, svc.stable.trafficPolicy),
        ...checkLoadBalancer(`${p}.canary.trafficPolicy`, svc.canary.trafficPolicy),
        ...checkPinKinds(name, svc.pins),
    ];
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
    if (svc.deploy && svc.image === undefined) {
        out.push(rule(`${p}.image`, `${p}.image is missing; it is required while ${p}.deploy is true (this stack deploys the service's workloads)`, `pulumi config set --path '${p}.image' <image, e.g. ghcr.io/org/app:{version}>, or pulumi config set --path '${p}.deploy' false when the workloads are deployed elsewhere`));
    }
    if (!svc.deploy) {
        const unused = ([["image", svc.image], ["stable.image", svc.stable.image], ["canary.image", svc.canary.image], ["stable.replicas", svc.stable.replicas], ["canary.replicas", svc.canary.replicas], ["targetPort", svc.targetPort]] as const).filter(([, v]) => v !== undefined);
        for (const [key, value] of unused) {
            out.push(rule(`${p}.${key}`, `${p}.${key} is ${show(value)}, but ${p}.deploy is false: this stack makes no workloads for the service, so it would have no effect`, `pulumi config rm --path '${p}.${key}', or set ${p}.deploy true`));
        }
    } else {
        out.push(...checkRoutedReplicas(name, svc));
    }
    if (!c.routed && c.weight > 0) {
        out.push(
            rule(
                `${p}.canary.weight`,
                `${p}.canary.weight is ${c.weight} but ${p}.canary.routed is false; an unrouted canary takes no traffic, ` +
                    `so its weight must be 0`,
                setFix(`${p}.canary.weight`, { value: "0" }),
            ),
        );
    }
    return out;
}

/**
 * Why a gateway's route to a tcp service is refused (this stack's, or a service stack's in the platform layout: `stack`
 * names it): the gateway routes HTTP by URI, a TCP connection has none.
 */
export function tcpGatewayRouteReason(key: "ingress" | "internalGateway", index: number, service: string, stack?: string): string {
    const where = stack === undefined ? `services.${service}.protocol` : `services.${service}.protocol in stack ${show(stack)}`;
    return (
        `${key}.routes[${index}].service is ${show(service)}, a tcp service (${where}); ${key} routes HTTP requests by URI, ` +
        "and a TCP connection has no URI: route it from the mesh, or set the service's protocol to http or grpc"
    );
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
        own(services, r.service)?.protocol === "tcp"
            ? [
                  {
                      ...rule(
                          `${key}.routes[${i}].service`,
                          tcpGatewayRouteReason(key, i, r.service),
                          `pulumi config rm --path '${key}.routes[${i}]'`,
                      ),
                      about: [`services.${r.service}.protocol`],
                  },
              ]
            : own(services, r.service) !== undefined
            ? []
            : [
                  {
                      ...rule(
                          `${key}.routes[${i}].service`,
                          `${key}.routes[${i}].service is ${show(r.service)}, which is not a key of services; it must name ` +
                              `a service of this stack (${Object.keys(services).map((s) => show(s)).join(", ") || "none defined"})`,
                          setFix(`${key}.routes[${i}].service`, { value: "<one of services>" }),
                      ),
                      about: [`services.${r.service}`],
                  },
              ],
    );
}

function checkIngressTls(ingress: IngressConfig): RuleProblem[] {
    if (!ingress.enabled || ingress.tls !== undefined || ingress.protocol === "HTTP") {
        return [];
    }
    return [
        rule(
            "ingress.tls",
            "ingress.tls is missing; an enabled ingress serves HTTPS on httpsPort and must set tls.mode (SIMPLE or MUTUAL) " +
                "and tls.credentialName (the Kubernetes TLS Secret)",
            `${setFix("ingress.tls.mode", { value: "SIMPLE" })} && ${setFix("ingress.tls.credentialName", { value: "<secret name>" })}`,
        ),
    ].map((p) => ({ ...p, about: ["ingress.protocol"] })); // no follow-on of a refused protocol
}

/**
 * A mesh host belongs to one VirtualService: two for one host are merged unpredictably by Istio. The hosts of
 * every service and every egress host (its VirtualService is bound to the mesh too) are compared in their
 * qualified form, so `sample-app` and `sample-app.<ns>.svc.cluster.local` are one host.
 */
function checkHostOwners(cfg: StackConfig): RuleProblem[] {
    const owner = new Map<string, { path: string; host: string }>();
    const out: RuleProblem[] = [];
    const claim = (host: string, path: string, shownPath: string, fix: string): void => {
        const key = qualifyHost(host, cfg.namespace);
        const first = owner.get(key);
        if (first === undefined) {
            owner.set(key, { path: shownPath, host });
            return;
        }
        const firstName = first.host === host ? first.path : `${first.path} (host ${show(first.host)})`;
        out.push({
            ...rule(path, `${path} is ${show(host)}, which ${firstName} also claims; each mesh host must belong to one VirtualService: remove one of them`, fix),
            about: [first.path],
        });
    };
    cfg.egress.forEach((e, i) => claim(e.host, `egress[${i}].host`, `egress[${i}].host`, `pulumi config rm --path 'egress[${i}]'`));
    for (const [name, svc] of Object.entries(cfg.services)) {
        if (svc.hosts === undefined) {
            claim(name, `services.${name}`, `services.${name}`, `pulumi config set --path 'services.${name}.hosts[0]' <another host>, or rename the service`);
        } else {
            svc.hosts.forEach((host, i) =>
                claim(host, `services.${name}.hosts[${i}]`, `services.${name}.hosts[${i}]`, `pulumi config rm --path 'services.${name}.hosts[${i}]', or merge the two services`),
            );
        }
    }
    return out;
}

/**
 * Session cookies are one per name in a browser (per host and path): two services of one stack with one session
 * cookie name would overwrite each other's pins behind one gateway host, so each service needs its own.
 */
function checkSessionCookies(cfg: StackConfig): RuleProblem[] {
    const owner = new Map<string, string>();
    const out: RuleProblem[] = [];
    for (const [name, svc] of Object.entries(cfg.services)) {
        const sa = svc.canary.sessionAffinity;
        if (sa === undefined) continue;
        const cookie = sa.cookieName ?? defaultSessionCookie(name);
        const first = owner.get(cookie);
        if (first === undefined) {
            owner.set(cookie, name);
            continue;
        }
        const path = `services.${name}.canary.sessionAffinity.cookieName`;
        out.push({
            ...rule(
                path,
                `${path} is ${show(cookie)}, the session cookie of service ${show(first)} too; a browser keeps one cookie per name, so the two ` +
                    "services would overwrite each other's session pins: give each service its own cookie name",
                setFix(path, { value: defaultSessionCookie(name) }),
            ),
            about: [`services.${first}.canary.sessionAffinity`],
        });
    }
    return out;
}

/** The release policy's rules (contract/releaseRules.ts), the same ones mesh-release applies. */
function checkReleasePolicy(cfg: StackConfig): RuleProblem[] {
    return releaseRules(cfg.release).map((p) => ({ propertyPath: p.propertyPath, reason: p.reason, fix: p.fix ?? setFix(p.propertyPath) }));
}

/**
 * The recorded rollout of a service this stack does not have: mesh-release would resume a rollout of nothing (a
 * renamed or removed service, or a typo in a hand edit). A platform stack's `rollouts` is refused by the layout rules.
 */
function checkRollouts(cfg: StackConfig): RuleProblem[] {
    const services = Object.keys(cfg.services);
    return Object.keys(cfg.rollouts)
        .filter((svc) => own(cfg.services, svc) === undefined)
        .map((svc) => {
            const path = `rollouts.${svc}`;
            const guess = didYouMean(svc, services);
            return rule(
                path,
                `${path} is the recorded rollout of service ${show(svc)}, which this stack does not have ` +
                    `(services: ${services.map((s) => show(s)).join(", ") || "none"}); a recorded rollout must belong to a service of the stack` +
                    (guess === undefined ? "" : `; did you mean ${show(guess)}?`),
                `pulumi config rm --path '${path}' (mesh-release records the state again when it next runs for a service of this stack)`,
            );
        });
}

/**
 * Every cross-key problem of a config that passed the schema. `layoutKnown: false` (the layout was refused):
 * only the rules that hold whatever the layout, not the ones that depend on which keys a layout owns.
 */
export function checkStackRules(cfg: StackConfig, options: { layoutKnown?: boolean } = {}): RuleProblem[] {
    const layoutKnown = options.layoutKnown ?? true;
    // A platform stack's routes name services of other stacks: stacks/environment.ts checks those.
    const routesHere = layoutKnown && cfg.layout !== "platform";
    return [
        ...Object.entries(cfg.services).flatMap(([name, svc]) => checkService(name, svc)),
        ...checkHostOwners(cfg),
        ...checkSessionCookies(cfg),
        ...(routesHere ? checkGatewayServices("ingress", cfg.ingress, cfg.services) : []),
        // A service stack's roots are its platform's: checked against its output (layout.ts checkDelegateNesting).
        ...(routesHere && cfg.layout === "single" ? Object.entries(cfg.services).flatMap(([name, svc]) => checkExactRoutes(name, svc, rootRoutes(cfg), cfg.routingApi, true)) : []),
        ...checkIngressTls(cfg.ingress),
        ...(routesHere ? checkGatewayServices("internalGateway", cfg.internalGateway, cfg.services) : []),
        ...(layoutKnown && cfg.layout !== "platform" ? checkRollouts(cfg) : []),
        ...checkReleasePolicy(cfg),
    ];
}
