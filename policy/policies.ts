/**
 * The mesh guardrails as CrossGuard policies (`@pulumi/policy`): each wraps rules of policy/rules.ts, on the
 * Kubernetes objects a stack registers (`kubernetes:networking.istio.io/v1:*`, Gateway API's
 * `kubernetes:gateway.networking.k8s.io/v1:*`) or on the whole stack and its config. Configurable per environment
 * with `pulumi up --policy-pack policy --policy-pack-config policy/config/<env>.json` (each policy's configSchema
 * below: what a file may set, with the defaults used when it does not).
 */
import type { Policies, PolicyConfigSchema, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
    configCredentials,
    gatewayApiHttpRedirects,
    gatewayApiHttpsListeners,
    gatewayApiKind,
    httpRouteTimeouts,
    httpRouteWeights,
    istioGatewayTls,
    istioKind,
    type KubeObject,
    objectLabel,
    resourceCredentials,
    selectedBy,
    serviceEntryEgress,
    stepLimit,
    stepsInConfig,
    virtualServiceRetriesTimeouts,
    virtualServiceWeights,
    type RetriesTimeoutsConfig,
} from "./rules";

/** The policy pack's name (PulumiPolicy.yaml's folder, `--policy-pack policy`). */
export const PACK_NAME = "mesh-guardrails";

/** Where the stack's config comes from: the engine passes it to the pack's process as `PULUMI_CONFIG` (JSON). */
export type ConfigSource = () => Readonly<Record<string, string>>;

/** The stack's config from `PULUMI_CONFIG`; a malformed value is a policy failure, not an empty config. */
export const envConfig: ConfigSource = () => {
    const text = process.env["PULUMI_CONFIG"];
    if (text === undefined || text === "") {
        return {};
    }
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error("PULUMI_CONFIG is not a JSON object of config keys to values");
    }
    return parsed as Record<string, string>;
};

const report = (reportViolation: ReportViolation, messages: readonly string[]): void => messages.forEach((m) => reportViolation(m));

const DURATION_PATTERN = "^(0|((\\d+(\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h))+)$";

export const canaryWeights: ResourceValidationPolicy = {
    name: "canary-weights",
    description: "Traffic split weights are in range: a VirtualService route's weights are integers 0-100 adding up to 100; an HTTPRoute's are 0-1000000 and not all 0.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const o = args.props as KubeObject;
        if (istioKind(args.type) === "VirtualService") {
            report(reportViolation, virtualServiceWeights(o, args.name));
        } else if (gatewayApiKind(args.type) === "HTTPRoute") {
            report(reportViolation, httpRouteWeights(o, args.name));
        }
    },
};

const stepSchema: PolicyConfigSchema = {
    properties: {
        maxStep: { type: "integer", minimum: 1, maximum: 100, default: 100, description: "Largest rise of the canary's weight in one rollout step, in percentage points." },
    },
};

/** The largest canary step: every release step list in the stack's config (`release.steps`, `rollouts.<svc>.steps`). */
export function canaryStepLimit(config: ConfigSource = envConfig): StackValidationPolicy {
    return {
        name: "canary-step-limit",
        description: "No rollout step raises a canary's weight by more than maxStep percentage points (release.steps and each recorded rollouts.<svc>.steps).",
        enforcementLevel: "mandatory",
        configSchema: stepSchema,
        validateStack: (args, reportViolation) => {
            const { maxStep } = args.getConfig<{ maxStep: number }>();
            for (const { path, steps } of stepsInConfig(config())) {
                report(reportViolation, stepLimit(path, steps, maxStep));
            }
        },
    };
}

export const httpRetriesTimeouts: ResourceValidationPolicy = {
    name: "http-retries-timeouts",
    description: "Every HTTP route that forwards traffic sets a timeout (at most maxTimeout) and retries (VirtualService); HTTPRoute rules set timeouts.request.",
    enforcementLevel: "advisory",
    configSchema: {
        properties: {
            requireTimeout: { type: "boolean", default: true, description: "A route must set a timeout." },
            requireRetries: { type: "boolean", default: true, description: "A VirtualService route must set retries (attempts 0 says none)." },
            maxTimeout: { type: "string", pattern: DURATION_PATTERN, description: "Longest route timeout allowed, a Go duration (\"30s\"). No limit when absent." },
        },
    },
    validateResource: (args, reportViolation) => {
        const config = args.getConfig<RetriesTimeoutsConfig>();
        const o = args.props as KubeObject;
        if (istioKind(args.type) === "VirtualService") {
            report(reportViolation, virtualServiceRetriesTimeouts(o, args.name, config));
        } else if (gatewayApiKind(args.type) === "HTTPRoute") {
            report(reportViolation, httpRouteTimeouts(o, args.name, config));
        }
    },
};

export const egressAllowlist: ResourceValidationPolicy = {
    name: "egress-allowlist",
    description: "A ServiceEntry for hosts outside the mesh (MESH_EXTERNAL) names only hosts of allowedHosts (exact names, or *.example.com).",
    enforcementLevel: "advisory",
    configSchema: {
        properties: {
            allowedHosts: { type: "array", items: { type: "string" }, default: [], description: "External hosts the mesh may reach: exact names or *.domain wildcards." },
        },
    },
    validateResource: (args, reportViolation) => {
        if (istioKind(args.type) === "ServiceEntry") {
            const { allowedHosts } = args.getConfig<{ allowedHosts: string[] }>();
            report(reportViolation, serviceEntryEgress(args.props as KubeObject, args.name, allowedHosts));
        }
    },
};

/** No plain-text credentials in resource inputs (every resource but Secrets and providers) nor in the stack's config. */
export function noPlaintextCredentials(config: ConfigSource = envConfig): (ResourceValidationPolicy | StackValidationPolicy)[] {
    return [
        {
            name: "no-plaintext-credentials",
            description: "No key material or tokens in resource inputs: a credentialName names a Kubernetes Secret, no PEM blocks, no URLs with tokens (Secrets and providers excepted).",
            enforcementLevel: "mandatory",
            validateResource: (args, reportViolation) => {
                report(reportViolation, resourceCredentials(args.type, objectLabel(args.props as KubeObject, args.name), args.props));
            },
        },
        {
            name: "no-plaintext-credentials-in-config",
            description: "No key material or tokens in the stack's mesh-traffic config (the Prometheus credentials and webhook URLs, which the program requires to be Pulumi secrets, excepted).",
            enforcementLevel: "mandatory",
            validateStack: (_args, reportViolation) => {
                report(reportViolation, configCredentials(config()));
            },
        },
    ];
}

export const ingressTls: (ResourceValidationPolicy | StackValidationPolicy)[] = [
    {
        name: "ingress-tls",
        description: "Ingress is HTTPS or redirects to it: an ingress Istio Gateway's HTTP servers set httpsRedirect and its HTTPS servers terminate TLS with a credential; a Gateway API Gateway's HTTPS listeners have a certificate.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                ingressSelectors: {
                    type: "array",
                    items: { type: "object", additionalProperties: { type: "string" } },
                    default: [{ istio: "ingressgateway" }],
                    description: "Which Istio Gateways are ingress: those whose selector holds every label of one of these.",
                },
            },
        },
        validateResource: (args, reportViolation) => {
            const o = args.props as KubeObject;
            if (istioKind(args.type) === "Gateway") {
                const { ingressSelectors } = args.getConfig<{ ingressSelectors: Record<string, string>[] }>();
                if (selectedBy(o, ingressSelectors)) {
                    report(reportViolation, istioGatewayTls(o, args.name));
                }
            } else if (gatewayApiKind(args.type) === "Gateway") {
                report(reportViolation, gatewayApiHttpsListeners(o, args.name));
            }
        },
    },
    {
        name: "ingress-http-redirect",
        description: "A Gateway API Gateway's plain HTTP listeners only redirect to HTTPS (an HTTPRoute of the stack with a RequestRedirect to https).",
        enforcementLevel: "mandatory",
        validateStack: (args, reportViolation) => {
            report(reportViolation, gatewayApiHttpRedirects(args.resources.map((r) => ({ type: r.type, name: r.name, props: r.props }))));
        },
    },
];

/** Every policy of the pack, reading the stack's config through `config`. */
export const meshPolicies = (config: ConfigSource = envConfig): Policies => [
    canaryWeights,
    canaryStepLimit(config),
    httpRetriesTimeouts,
    egressAllowlist,
    ...noPlaintextCredentials(config),
    ...ingressTls,
];
