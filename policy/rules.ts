/**
 * The mesh guardrails of the policy pack as pure functions: each takes what one Kubernetes object (or the stack's
 * objects and config) holds as plain data and returns its violations, every one naming the object, the field, the
 * value, the rule and the fix. No Pulumi or policy SDK here (policy/policies.ts wraps these as CrossGuard policies),
 * so they are table-tested like the rest of the pure core. Credentials are never echoed: key material is shown by its
 * length and PEM header, a URL with a token by its origin (contract/secrets.ts, the program's own checks).
 */
import { durationMs, show } from "../components/validation";
import { credentialsOf, isSecretPath, looksLikeKeyMaterial, redactKeyMaterial, redactUrlToken, SECRET_NAME, SECRET_NAME_RULE, urlTokenPlace } from "../contract/secrets";
import { configFromPulumiMap, jsonOrText } from "../contract/stackConfig";
import { formatPath } from "../contract/paths";

/** A Kubernetes object as the stack registers it: `apiVersion`, `kind`, `metadata`, `spec` (inputs). */
export interface KubeObject {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: { name?: unknown; namespace?: unknown };
    spec?: unknown;
}

/** One object of the stack with its Pulumi type token (`kubernetes:networking.istio.io/v1:VirtualService`). */
export interface StackObject {
    type: string;
    name: string;
    props: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Plain-data helpers (inputs arrive as JSON: nothing is trusted to have its type)

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const field = (v: unknown, key: string): unknown => (isRecord(v) && Object.prototype.hasOwnProperty.call(v, key) ? v[key] : undefined);

/** `VirtualService shop/reviews` (the namespace when the object has one). */
export function objectLabel(o: KubeObject, fallbackName: string): string {
    const kind = typeof o.kind === "string" ? o.kind : "object";
    const name = typeof o.metadata?.name === "string" ? o.metadata.name : fallbackName;
    const ns = typeof o.metadata?.namespace === "string" ? `${o.metadata.namespace}/` : "";
    return `${kind} ${ns}${name}`;
}

const ISTIO_TYPE = /^kubernetes:networking\.istio\.io\/(v1|v1beta1|v1alpha3):([A-Za-z]+)$/;
const GATEWAY_API_TYPE = /^kubernetes:gateway\.networking\.k8s\.io\/(v1|v1beta1):([A-Za-z]+)$/;

/** The Istio kind of a Pulumi type token (`VirtualService`), or undefined for anything else. */
export const istioKind = (type: string): string | undefined => ISTIO_TYPE.exec(type)?.[2];
/** The Gateway API kind of a Pulumi type token (`HTTPRoute`, `Gateway`), or undefined. */
export const gatewayApiKind = (type: string): string | undefined => GATEWAY_API_TYPE.exec(type)?.[2];

// ---------------------------------------------------------------------------------------------
// canary-weights: every weight an integer in range, a VirtualService split summing to 100

/** Istio: a destination's weight is an integer 0..100 and a route's weights add up to 100 (one destination: none or 100). */
export function virtualServiceWeights(o: KubeObject, name: string): string[] {
    const label = objectLabel(o, name);
    const out: string[] = [];
    for (const section of ["http", "tcp", "tls"] as const) {
        list(field(o.spec, section)).forEach((route, i) => {
            const dests = list(field(route, "route"));
            const path = `spec.${section}[${i}].route`;
            const weights: number[] = [];
            dests.forEach((d, j) => {
                const w = field(d, "weight");
                if (w === undefined) {
                    return;
                }
                if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > 100) {
                    out.push(`${label}: ${path}[${j}].weight is ${show(w)}; a weight must be an integer from 0 to 100. Fix: set the canary weight in range (mesh-traffic: services.<svc>.canary.weight).`);
                    return;
                }
                weights.push(w);
            });
            const sum = weights.reduce((a, b) => a + b, 0);
            const set = weights.length;
            if (set > 0 && weights.length === dests.length && sum !== 100 && !(dests.length === 1 && sum === 0)) {
                out.push(`${label}: ${path} weights ${show(weights)} add up to ${sum}; the weights of a route must add up to 100. Fix: give the route weights that sum to 100.`);
            } else if (set > 0 && set < dests.length && sum > 100) {
                out.push(`${label}: ${path} weights ${show(weights)} add up to ${sum}, more than 100. Fix: give the route weights that sum to 100.`);
            }
        });
    }
    return out;
}

/** Gateway API: a backendRef's weight is an integer 0..1,000,000, and a split with several backends gives one of them traffic. */
export function httpRouteWeights(o: KubeObject, name: string): string[] {
    const label = objectLabel(o, name);
    const out: string[] = [];
    list(field(o.spec, "rules")).forEach((rule, i) => {
        const refs = list(field(rule, "backendRefs"));
        const weights: number[] = [];
        refs.forEach((ref, j) => {
            const w = field(ref, "weight");
            if (w === undefined) {
                weights.push(1);
                return;
            }
            if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > 1_000_000) {
                out.push(`${label}: spec.rules[${i}].backendRefs[${j}].weight is ${show(w)}; a weight must be an integer from 0 to 1000000. Fix: set the canary weight in range (mesh-traffic: services.<svc>.canary.weight).`);
                return;
            }
            weights.push(w);
        });
        if (refs.length > 1 && weights.length === refs.length && weights.every((w) => w === 0)) {
            out.push(`${label}: spec.rules[${i}].backendRefs weights are all 0; the rule would send no traffic (HTTP 500). Fix: give one backend a weight above 0.`);
        }
    });
    return out;
}

// ---------------------------------------------------------------------------------------------
// canary-step-limit: no rollout step raises the canary's share by more than maxStep

/** The release steps a stack's config holds: the policy's `release.steps` and each recorded `rollouts.<svc>.steps`. */
export function stepsInConfig(pulumiConfig: Readonly<Record<string, string>>): { path: string; steps: unknown }[] {
    const { raw } = configFromPulumiMap(pulumiConfig);
    const found: { path: string; steps: unknown }[] = [];
    const release = field(raw, "release");
    if (field(release, "steps") !== undefined) {
        found.push({ path: "release.steps", steps: field(release, "steps") });
    }
    const rollouts = field(raw, "rollouts");
    if (isRecord(rollouts)) {
        for (const [svc, state] of Object.entries(rollouts)) {
            const parsed = typeof state === "string" ? jsonOrText(state) : state;
            if (field(parsed, "steps") !== undefined) {
                found.push({ path: formatPath(["rollouts", svc, "steps"]), steps: field(parsed, "steps") });
            }
        }
    }
    return found;
}

/** Each step's rise over the one before it (the first over 0) is at most `maxStep` percentage points. */
export function stepLimit(path: string, steps: unknown, maxStep: number): string[] {
    if (!Array.isArray(steps) || !steps.every((s) => typeof s === "number" && Number.isFinite(s))) {
        return [`stack config ${path} is ${show(steps)}; it must be a list of canary weights in percent. Fix: pulumi config set --path '${path}' '[10,25,50,100]'.`];
    }
    const out: string[] = [];
    let previous = 0;
    (steps as number[]).forEach((s, i) => {
        if (s - previous > maxStep) {
            out.push(`stack config ${path}[${i}] is ${s} after ${previous}: a step of ${s - previous} percentage points; this environment allows at most ${maxStep} per step. Fix: add steps so that none rises by more than ${maxStep}, e.g. ${show(evenSteps(maxStep))}.`);
        }
        previous = s;
    });
    return out;
}

/** Steps of `maxStep` up to 100 (the fix a message suggests). */
export function evenSteps(maxStep: number): number[] {
    const steps: number[] = [];
    for (let s = maxStep; s < 100; s += maxStep) {
        steps.push(s);
    }
    return [...steps, 100];
}

// ---------------------------------------------------------------------------------------------
// http-retries-timeouts

export interface RetriesTimeoutsConfig {
    requireTimeout: boolean;
    requireRetries: boolean;
    /** Longest timeout allowed (Go duration); none when absent. */
    maxTimeout?: string;
}

/**
 * Every HTTP route of a VirtualService that forwards traffic (`route`; not a redirect, a direct response or a
 * delegation, whose delegate's routes carry their own) sets a timeout and retries; a timeout is no longer than
 * `maxTimeout`. Istio's defaults are no timeout and 2 retries on connect failures only.
 */
export function virtualServiceRetriesTimeouts(o: KubeObject, name: string, config: RetriesTimeoutsConfig): string[] {
    const label = objectLabel(o, name);
    const maxMs = config.maxTimeout === undefined ? undefined : durationMs(config.maxTimeout);
    const out: string[] = [];
    list(field(o.spec, "http")).forEach((route, i) => {
        if (field(route, "route") === undefined) {
            return;
        }
        const routeName = typeof field(route, "name") === "string" ? ` (${String(field(route, "name"))})` : "";
        const path = `spec.http[${i}]${routeName}`;
        const timeout = field(route, "timeout");
        if (timeout === undefined && config.requireTimeout) {
            out.push(`${label}: ${path} has no timeout; every HTTP route must set one (Istio's default is none: a hung backend holds the request forever). Fix: set the route's timeout (mesh-traffic: services.<svc>.timeout, e.g. "10s").`);
        } else if (typeof timeout === "string" && maxMs !== undefined && (durationMs(timeout) ?? 0) > maxMs) {
            out.push(`${label}: ${path}.timeout is ${show(timeout)}; this environment allows at most ${show(config.maxTimeout)}. Fix: lower the route's timeout (mesh-traffic: services.<svc>.timeout).`);
        }
        if (field(route, "retries") === undefined && config.requireRetries) {
            out.push(`${label}: ${path} has no retries; every HTTP route must say its retry policy (Istio's default retries connect failures only, twice). Fix: set retries (mesh-traffic: services.<svc>.retries, e.g. { attempts: 3, perTryTimeout: "3s", retryOn: "5xx,reset,connect-failure" }), or attempts 0 to say none.`);
        }
    });
    return out;
}

/** Gateway API (standard channel): every HTTPRoute rule that forwards sets `timeouts.request` (retries are experimental there). */
export function httpRouteTimeouts(o: KubeObject, name: string, config: RetriesTimeoutsConfig): string[] {
    const label = objectLabel(o, name);
    const maxMs = config.maxTimeout === undefined ? undefined : durationMs(config.maxTimeout);
    const out: string[] = [];
    list(field(o.spec, "rules")).forEach((rule, i) => {
        if (list(field(rule, "backendRefs")).length === 0) {
            return;
        }
        const request = field(field(rule, "timeouts"), "request");
        if (request === undefined && config.requireTimeout) {
            out.push(`${label}: spec.rules[${i}] has no timeouts.request; every HTTP route must set a timeout. Fix: set the route's timeout (mesh-traffic: services.<svc>.timeout, e.g. "10s").`);
        } else if (typeof request === "string" && maxMs !== undefined && (durationMs(request) ?? 0) > maxMs) {
            out.push(`${label}: spec.rules[${i}].timeouts.request is ${show(request)}; this environment allows at most ${show(config.maxTimeout)}. Fix: lower the route's timeout (mesh-traffic: services.<svc>.timeout).`);
        }
    });
    return out;
}

// ---------------------------------------------------------------------------------------------
// egress-allowlist

/** `host` matches an allow-list entry: the same name, or `*.example.com` for any name under example.com. */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
    const h = host.toLowerCase();
    return allowed.some((a) => {
        const p = a.toLowerCase();
        return p === h || (p.startsWith("*.") && h.endsWith(p.slice(1)) && h.length > p.length - 1);
    });
}

/** A ServiceEntry outside the mesh (location MESH_EXTERNAL, Istio's default) names only allowed hosts. */
export function serviceEntryEgress(o: KubeObject, name: string, allowedHosts: readonly string[]): string[] {
    const location = field(o.spec, "location") ?? "MESH_EXTERNAL";
    if (location !== "MESH_EXTERNAL") {
        return [];
    }
    const label = objectLabel(o, name);
    return list(field(o.spec, "hosts")).flatMap((host, i) =>
        typeof host === "string" && hostAllowed(host, allowedHosts)
            ? []
            : [`${label}: spec.hosts[${i}] is ${show(host)}, an external host this environment does not allow (allowed: ${allowedHosts.length === 0 ? "none" : allowedHosts.join(", ")}). Fix: remove it (mesh-traffic: egress), or have the platform team add it to the egress-allowlist policy's allowedHosts.`],
    );
}

// ---------------------------------------------------------------------------------------------
// no-plaintext-credentials

/** Fields that name a Kubernetes Secret: the name, never the key material. */
const CREDENTIAL_NAME_FIELD = /^(credentialName|credentialNames)$/;

/** Every string in `value` with its path (`spec.servers[1].tls.credentialName`). */
function* strings(value: unknown, path: string): Generator<[string, string]> {
    if (typeof value === "string") {
        yield [path, value];
    } else if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
            yield* strings(value[i], `${path}[${i}]`);
        }
    } else if (isRecord(value)) {
        for (const [k, v] of Object.entries(value)) {
            yield* strings(v, path === "" ? k : `${path}.${k}`);
        }
    }
}

/** What is wrong with one string input, if it holds a credential: never the credential itself. */
function credentialProblem(path: string, value: string): string | undefined {
    const last = /([A-Za-z]+)(\[\d+\])?$/.exec(path)?.[1] ?? "";
    if (CREDENTIAL_NAME_FIELD.test(last) && (looksLikeKeyMaterial(value) || !SECRET_NAME.test(value))) {
        const shown = looksLikeKeyMaterial(value) ? redactKeyMaterial(value) : show(value);
        return `${path} is ${shown}; it ${SECRET_NAME_RULE}. Fix: put the certificate and key in a Kubernetes Secret (kubectl create secret tls <name> --cert=... --key=...) and name it here.`;
    }
    if (/-----BEGIN [A-Z0-9 ]*(PRIVATE KEY|CERTIFICATE)-----/.test(value)) {
        return `${path} holds key material ${redactKeyMaterial(value)}; keys and certificates belong in a Kubernetes Secret, never in an object's spec or in config. Fix: create a Secret and reference it by name.`;
    }
    if (/^https?:\/\//i.test(value)) {
        const place = urlTokenPlace(value);
        if (place !== undefined) {
            return `${path} is a URL with a token in its ${place} (${redactUrlToken(value)}); credentials in URLs end up in plain text in the cluster and in logs. Fix: pass the token from a Secret (or a Pulumi secret), not in the URL.`;
        }
    }
    return undefined;
}

/** Types whose inputs are credentials by design (a Kubernetes Secret, a provider's kubeconfig): not judged. */
export const CREDENTIAL_HOLDER_TYPE = /^(kubernetes:core\/v1:Secret|pulumi:providers:.*)$/;

/** Credentials in a resource's inputs: key material in a credentialName, PEM blocks, URLs with tokens. */
export function resourceCredentials(type: string, label: string, props: unknown): string[] {
    if (CREDENTIAL_HOLDER_TYPE.test(type)) {
        return [];
    }
    const out: string[] = [];
    for (const [path, value] of strings(props, "")) {
        const problem = credentialProblem(path, value);
        if (problem !== undefined) {
            out.push(`${label}: ${problem}`);
        }
    }
    return out;
}

/**
 * Credentials in the stack's `mesh-traffic:` config as the engine hands it to the policy pack (decrypted): key
 * material or a non-name in any credentialName, PEM blocks and URLs with tokens anywhere but at the config's secret
 * paths (contract/secrets.ts: the Prometheus credentials, which the program itself requires to be Pulumi secrets).
 */
export function configCredentials(pulumiConfig: Readonly<Record<string, string>>): string[] {
    const { raw } = configFromPulumiMap(pulumiConfig);
    // The release policy's credentials (the program refuses them unless they are Pulumi secrets; the engine hands the
    // pack every value decrypted, so a secret and a plain value look the same here).
    const credentials = new Set(credentialsOf(field(raw, "release")).map((c) => c.path));
    const out: string[] = [];
    for (const [path, value] of strings(raw, "")) {
        if (isSecretPath(path) || credentials.has(path)) {
            continue;
        }
        const problem = credentialProblem(path, value);
        if (problem !== undefined) {
            out.push(`stack config ${problem}`);
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// ingress-tls

/** The Gateway's selector holds every label of one of `selectors` (which Gateways are ingress). */
export function selectedBy(o: KubeObject, selectors: readonly Record<string, string>[]): boolean {
    const selector = field(o.spec, "selector");
    return selectors.some((s) => Object.entries(s).length > 0 && Object.entries(s).every(([k, v]) => field(selector, k) === v));
}

const PLAIN_PROTOCOLS = new Set(["HTTP", "HTTP2", "GRPC"]);

/**
 * An ingress Istio Gateway serves HTTPS or redirects: each plain HTTP server sets `tls.httpsRedirect: true`, each
 * HTTPS server terminates TLS (mode SIMPLE, MUTUAL or OPTIONAL_MUTUAL with a credential).
 */
export function istioGatewayTls(o: KubeObject, name: string): string[] {
    const label = objectLabel(o, name);
    const out: string[] = [];
    list(field(o.spec, "servers")).forEach((server, i) => {
        const protocol = String(field(field(server, "port"), "protocol") ?? "").toUpperCase();
        const tls = field(server, "tls");
        const path = `spec.servers[${i}]`;
        if (PLAIN_PROTOCOLS.has(protocol) && field(tls, "httpsRedirect") !== true) {
            out.push(`${label}: ${path} serves plain ${protocol} on port ${show(field(field(server, "port"), "number"))} without tls.httpsRedirect; ingress must be HTTPS or redirect to it. Fix: set tls.httpsRedirect: true on that server (mesh-traffic: ingress.tls), or serve HTTPS only.`);
        }
        if (protocol === "HTTPS") {
            const mode = field(tls, "mode");
            const hasCredential = field(tls, "credentialName") !== undefined || field(tls, "credentialNames") !== undefined || field(tls, "serverCertificate") !== undefined;
            if (!["SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL"].includes(String(mode)) || !hasCredential) {
                out.push(`${label}: ${path} is HTTPS with tls.mode ${show(mode)}${hasCredential ? "" : " and no credential"}; ingress HTTPS must terminate TLS (SIMPLE, MUTUAL or OPTIONAL_MUTUAL) with a credentialName. Fix: mesh-traffic: ingress.tls { mode: SIMPLE, credentialName: <secret> }.`);
            }
        }
    });
    return out;
}

/** A Gateway API Gateway's HTTPS listeners terminate TLS with a certificate. */
export function gatewayApiHttpsListeners(o: KubeObject, name: string): string[] {
    const label = objectLabel(o, name);
    return list(field(o.spec, "listeners")).flatMap((listener, i) => {
        if (field(listener, "protocol") !== "HTTPS") {
            return [];
        }
        const tls = field(listener, "tls");
        const mode = field(tls, "mode") ?? "Terminate";
        return mode === "Terminate" && list(field(tls, "certificateRefs")).length > 0
            ? []
            : [`${label}: spec.listeners[${i}] is HTTPS without a terminating certificate (tls.mode ${show(mode)}, certificateRefs ${show(field(tls, "certificateRefs") ?? [])}). Fix: mesh-traffic: ingress.tls { mode: SIMPLE, credentialName: <secret> }.`];
    });
}

/**
 * A Gateway API Gateway's plain HTTP listeners only redirect to HTTPS: an HTTPRoute of the stack attached to the
 * listener (parentRefs name + sectionName) whose every rule is a RequestRedirect to scheme https, and no other route
 * attached to it. A Gateway whose Service is ClusterIP (Istio's `networking.istio.io/service-type`, as mesh-traffic's
 * internal gateway) is reached from the cluster only: it is no ingress, and not checked.
 */
export function gatewayApiHttpRedirects(objects: readonly StackObject[]): string[] {
    const gateways = objects.filter((o) => gatewayApiKind(o.type) === "Gateway");
    const routes = objects.filter((o) => gatewayApiKind(o.type) === "HTTPRoute");
    const out: string[] = [];
    for (const gw of gateways) {
        const g = gw.props as KubeObject;
        if (field(field(g.metadata, "annotations"), "networking.istio.io/service-type") === "ClusterIP") {
            continue;
        }
        const gwName = typeof g.metadata?.name === "string" ? g.metadata.name : gw.name;
        list(field(g.spec, "listeners")).forEach((listener, i) => {
            if (field(listener, "protocol") !== "HTTP") {
                return;
            }
            const section = field(listener, "name");
            const attached = routes.filter((r) =>
                list(field((r.props as KubeObject).spec, "parentRefs")).some(
                    (p) => field(p, "name") === gwName && (field(p, "sectionName") === undefined || field(p, "sectionName") === section),
                ),
            );
            const redirects = (r: StackObject): boolean => {
                const rules = list(field((r.props as KubeObject).spec, "rules"));
                return rules.length > 0 && rules.every((rule) => list(field(rule, "filters")).some((f) => field(f, "type") === "RequestRedirect" && field(field(f, "requestRedirect"), "scheme") === "https"));
            };
            const label = objectLabel(g, gw.name);
            if (attached.length === 0) {
                out.push(`${label}: spec.listeners[${i}] (${show(section)}) is plain HTTP and no HTTPRoute of the stack redirects it to HTTPS; ingress must be HTTPS or redirect to it. Fix: attach an HTTPRoute whose rule is a RequestRedirect with scheme https (mesh-traffic's gateway-api ingress does: ingress-https-redirect).`);
            }
            for (const r of attached.filter((x) => !redirects(x))) {
                out.push(`${label}: spec.listeners[${i}] (${show(section)}) is plain HTTP and ${objectLabel(r.props as KubeObject, r.name)} serves it without redirecting to HTTPS. Fix: attach that route to the HTTPS listener (parentRefs sectionName) and redirect plain HTTP.`);
            }
        });
    }
    return out;
}
