/**
 * The policy pack's policies, each run as the policy SDK runs it (fake args, the policy's config from its schema's
 * defaults and a config file), with a failing and a passing fixture per rule; then every committed stack's objects
 * under its environment's config file. The e2e test (test/e2e/stack/policyPack.test.ts) runs the pack on the engine.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { canaryStepLimit, canaryWeights, egressAllowlist, httpRetriesTimeouts, ingressTls, meshPolicies, noPlaintextCredentials } from "../../../policy/policies";
import { evenSteps, hostAllowed } from "../../../policy/rules";
import { rawStackConfig } from "../../support/emitted";
import { configFor, envPolicyConfig, levelOf, runPolicy, runResource, runStack, type FakeResource } from "./support";

/** The Pulumi type token of an Istio kind, and of a Gateway API kind. */
const istio = (kind: string): string => `kubernetes:networking.istio.io/v1:${kind}`;
const gatewayApi = (kind: string): string => `kubernetes:gateway.networking.k8s.io/v1:${kind}`;
const [VS, GW, SE, DR] = ["VirtualService", "Gateway", "ServiceEntry", "DestinationRule"].map(istio) as [string, string, string, string];
const [HTTPROUTE, KGW] = ["HTTPRoute", "Gateway"].map(gatewayApi) as [string, string];

const obj = (type: string, name: string, spec: unknown): FakeResource => ({
    type,
    name,
    props: { apiVersion: type.split(":")[1], kind: type.split(":")[2], metadata: { name, namespace: "shop" }, spec },
});

const dest = (subset: string, weight?: number) => ({ destination: { host: "reviews", subset }, ...(weight === undefined ? {} : { weight }) });
const goodRoute = { name: "catch-all", route: [dest("stable", 90), dest("canary", 10)], timeout: "10s", retries: { attempts: 3, perTryTimeout: "3s" } };

const [credentialsPolicy, credentialsInConfig] = noPlaintextCredentials(() => ({})) as [ResourceValidationPolicy, StackValidationPolicy];
const [ingressTlsPolicy, ingressRedirectPolicy] = ingressTls as [ResourceValidationPolicy, StackValidationPolicy];

describe("policy pack: canary-weights", () => {
    it("passes a 90/10 split, a single destination and an HTTPRoute split", async () => {
        expect(await runResource(canaryWeights, obj(VS, "reviews", { hosts: ["reviews"], http: [goodRoute, { route: [dest("stable")] }] }))).to.deep.equal([]);
        expect(await runResource(canaryWeights, obj(HTTPROUTE, "reviews", { rules: [{ backendRefs: [{ name: "a", weight: 900 }, { name: "b", weight: 100 }] }] }))).to.deep.equal([]);
    });
    it("refuses a weight out of range and weights that do not add up to 100, naming object, field and value", async () => {
        const got = await runResource(canaryWeights, obj(VS, "reviews", { http: [{ route: [dest("stable", 120), dest("canary", -20)] }, { route: [dest("stable", 80), dest("canary", 30)] }] }));
        expect(got).to.deep.equal([
            "VirtualService shop/reviews: spec.http[0].route[0].weight is 120; a weight must be an integer from 0 to 100. Fix: set the canary weight in range (mesh-traffic: services.<svc>.canary.weight).",
            "VirtualService shop/reviews: spec.http[0].route[1].weight is -20; a weight must be an integer from 0 to 100. Fix: set the canary weight in range (mesh-traffic: services.<svc>.canary.weight).",
            "VirtualService shop/reviews: spec.http[1].route weights [80,30] add up to 110; the weights of a route must add up to 100. Fix: give the route weights that sum to 100.",
        ]);
    });
    it("refuses an HTTPRoute whose backends all weigh 0, or a fractional weight", async () => {
        const got = await runResource(canaryWeights, obj(HTTPROUTE, "r", { rules: [{ backendRefs: [{ name: "a", weight: 0 }, { name: "b", weight: 0 }] }, { backendRefs: [{ name: "a", weight: 2.5 }] }] }));
        expect(got).to.have.length(2);
        expect(got[0]).to.contain("spec.rules[0].backendRefs weights are all 0");
        expect(got[1]).to.contain("spec.rules[1].backendRefs[0].weight is 2.5");
    });
});

describe("policy pack: canary-step-limit", () => {
    const policy = canaryStepLimit(() => ({
        "mesh-traffic:release": JSON.stringify({ steps: [10, 50, 100] }),
        "mesh-traffic:rollouts": JSON.stringify({ reviews: JSON.stringify({ phase: "progressing", version: "v2", stepIndex: 0, steps: [25, 50, 75, 100] }) }),
        "other:key": "x",
    }));
    it("passes steps within maxStep", async () => {
        expect(await runStack(policy, [], { maxStep: 50 })).to.deep.equal([]);
    });
    it("refuses each step that rises by more than maxStep, in the policy and in a recorded rollout, with the fix", async () => {
        expect(await runStack(policy, [], { maxStep: 25 })).to.deep.equal([
            "stack config release.steps[1] is 50 after 10: a step of 40 percentage points; this environment allows at most 25 per step. Fix: add steps so that none rises by more than 25, e.g. [25,50,75,100].",
            "stack config release.steps[2] is 100 after 50: a step of 50 percentage points; this environment allows at most 25 per step. Fix: add steps so that none rises by more than 25, e.g. [25,50,75,100].",
        ]);
        expect(await runStack(policy, [], { maxStep: 20 })).to.have.length(6);
    });
    it("refuses steps that are not a list of numbers", async () => {
        const bad = canaryStepLimit(() => ({ "mesh-traffic:release": JSON.stringify({ steps: "10,50" }) }));
        expect(await runStack(bad, [], { maxStep: 25 })).to.deep.equal([
            "stack config release.steps is \"10,50\"; it must be a list of canary weights in percent. Fix: pulumi config set --path 'release.steps' '[10,25,50,100]'.",
        ]);
    });
    it("suggests even steps", () => {
        expect(evenSteps(25)).to.deep.equal([25, 50, 75, 100]);
        expect(evenSteps(30)).to.deep.equal([30, 60, 90, 100]);
        expect(evenSteps(100)).to.deep.equal([100]);
    });
});

describe("policy pack: http-retries-timeouts", () => {
    it("passes routes with both, and skips redirects and delegations", async () => {
        const spec = { http: [goodRoute, { redirect: { uri: "/v2" } }, { delegate: { name: "reviews-delegate" } }] };
        expect(await runResource(httpRetriesTimeouts, obj(VS, "reviews", spec), configFor(httpRetriesTimeouts, envPolicyConfig("production")))).to.deep.equal([]);
    });
    it("refuses a route without timeout or retries, and a timeout above maxTimeout", async () => {
        const spec = { http: [{ name: "catch-all", route: [dest("stable")] }, { ...goodRoute, timeout: "2m" }] };
        const got = await runResource(httpRetriesTimeouts, obj(VS, "reviews", spec), configFor(httpRetriesTimeouts, envPolicyConfig("production")));
        expect(got).to.have.length(3);
        expect(got[0]).to.match(/^VirtualService shop\/reviews: spec\.http\[0\] \(catch-all\) has no timeout; .* Fix: set the route's timeout \(mesh-traffic: services\.<svc>\.timeout/);
        expect(got[1]).to.match(/^VirtualService shop\/reviews: spec\.http\[0\] \(catch-all\) has no retries; .* Fix: set retries/);
        expect(got[2]).to.equal(
            'VirtualService shop/reviews: spec.http[1] (catch-all).timeout is "2m"; this environment allows at most "30s". Fix: lower the route\'s timeout (mesh-traffic: services.<svc>.timeout).',
        );
    });
    it("does not require retries where the config says so (dev)", async () => {
        const got = await runResource(httpRetriesTimeouts, obj(VS, "r", { http: [{ route: [dest("stable")], timeout: "5s" }] }), configFor(httpRetriesTimeouts, envPolicyConfig("dev")));
        expect(got).to.deep.equal([]);
    });
    it("checks an HTTPRoute rule's timeouts.request (fails without, passes with)", async () => {
        expect(await runResource(httpRetriesTimeouts, obj(HTTPROUTE, "r", { rules: [{ backendRefs: [{ name: "a" }] }] }))).to.have.length(1);
        expect(await runResource(httpRetriesTimeouts, obj(HTTPROUTE, "r", { rules: [{ backendRefs: [{ name: "a" }], timeouts: { request: "10s" } }] }))).to.deep.equal([]);
    });
});

describe("policy pack: egress-allowlist", () => {
    const config = configFor(egressAllowlist, { "egress-allowlist": { allowedHosts: ["api.external-service.com", "*.googleapis.com"] } });
    it("passes allowed hosts, wildcards and entries inside the mesh", async () => {
        expect(await runResource(egressAllowlist, obj(SE, "ext", { hosts: ["api.external-service.com", "storage.googleapis.com"], location: "MESH_EXTERNAL" }), config)).to.deep.equal([]);
        expect(await runResource(egressAllowlist, obj(SE, "int", { hosts: ["legacy.internal"], location: "MESH_INTERNAL" }), config)).to.deep.equal([]);
    });
    it("refuses a host not allowed (location defaults to MESH_EXTERNAL), naming the allow-list and the fix", async () => {
        expect(await runResource(egressAllowlist, obj(SE, "ext", { hosts: ["httpbin.org"] }), config)).to.deep.equal([
            'ServiceEntry shop/ext: spec.hosts[0] is "httpbin.org", an external host this environment does not allow (allowed: api.external-service.com, *.googleapis.com). Fix: remove it (mesh-traffic: egress), or have the platform team add it to the egress-allowlist policy\'s allowedHosts.',
        ]);
    });
    it("matches hosts case-insensitively and a wildcard only below its domain", () => {
        expect(hostAllowed("API.external-service.com", ["api.external-service.com"])).to.equal(true);
        expect(hostAllowed("googleapis.com", ["*.googleapis.com"])).to.equal(false);
        expect(hostAllowed("evilgoogleapis.com", ["*.googleapis.com"])).to.equal(false);
        expect(hostAllowed("a.b.googleapis.com", ["*.googleapis.com"])).to.equal(true);
    });
});

describe("policy pack: no-plaintext-credentials", () => {
    const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n";
    it("passes a Secret name in credentialName, URLs without tokens, and a Kubernetes Secret's data", async () => {
        expect(await runResource(credentialsPolicy, obj(GW, "ingress", { servers: [{ tls: { mode: "SIMPLE", credentialName: "shop-tls" } }] }))).to.deep.equal([]);
        expect(await runResource(credentialsPolicy, obj(VS, "r", { http: [{ redirect: { uri: "https://docs.example.com/v2/guide" } }] }))).to.deep.equal([]);
        expect(await runResource(credentialsPolicy, { type: "kubernetes:core/v1:Secret", name: "tls", props: { stringData: { "tls.key": pem } } })).to.deep.equal([]);
    });
    it("refuses key material in credentialName without echoing it", async () => {
        const got = await runResource(credentialsPolicy, obj(GW, "ingress", { servers: [{ tls: { mode: "SIMPLE", credentialName: pem } }] }));
        expect(got).to.have.length(1);
        expect(got[0]).to.contain("Gateway shop/ingress: spec.servers[0].tls.credentialName is [redacted: ");
        expect(got[0]).to.contain('starting "-----BEGIN PRIVATE KEY-----"');
        expect(got[0]).not.to.contain("MIIEvQ");
    });
    it("refuses a token in a URL anywhere in an object, showing only its origin", async () => {
        const got = await runResource(credentialsPolicy, obj(DR, "dr", { host: "x", exportTo: ["https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx"] }));
        expect(got).to.deep.equal([
            "DestinationRule shop/dr: spec.exportTo[0] is a URL with a token in its path (https://hooks.slack.com/[secret]); credentials in URLs end up in plain text in the cluster and in logs. Fix: pass the token from a Secret (or a Pulumi secret), not in the URL.",
        ]);
    });
    it("refuses a PEM block in a Deployment's env", async () => {
        const got = await runResource(credentialsPolicy, { type: "kubernetes:apps/v1:Deployment", name: "app", props: { kind: "Deployment", metadata: { name: "app" }, spec: { template: { spec: { containers: [{ env: [{ name: "KEY", value: pem }] }] } } } } });
        expect(got).to.have.length(1);
        expect(got[0]).to.match(/^Deployment app: spec\.template\.spec\.containers\[0\]\.env\[0\]\.value holds key material \[redacted: \d+ characters/);
    });
    it("refuses credentials in the stack's config, but not the release policy's credential paths", async () => {
        const config = {
            "mesh-traffic:ingress": JSON.stringify({ tls: { mode: "SIMPLE", credentialName: pem } }),
            "mesh-traffic:release": JSON.stringify({ prometheus: { url: "http://prom:9090", bearerToken: "abcdefghijklmnopqrstuvwxyz0123456789" }, webhooks: [{ name: "n", type: "rollback", url: "https://hooks.slack.com/services/T0123ABCD/B0123ABCD/abcdefghijklmnopqrstuvwx" }] }),
        };
        const policy = noPlaintextCredentials(() => config)[1] as StackValidationPolicy;
        const got = await runStack(policy, []);
        expect(got).to.have.length(1);
        expect(got[0]).to.match(/^stack config ingress\.tls\.credentialName is \[redacted: /);
        expect(await runStack(credentialsInConfig, [])).to.deep.equal([]);
    });
});

describe("policy pack: ingress-tls", () => {
    const ingress = (servers: unknown[]) => obj(GW, "ingress-gateway", { selector: { istio: "ingressgateway" }, servers });
    it("passes HTTP that redirects and HTTPS that terminates; ignores gateways that are not ingress", async () => {
        const ok = ingress([
            { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["a"], tls: { httpsRedirect: true } },
            { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["a"], tls: { mode: "SIMPLE", credentialName: "a-tls" } },
        ]);
        expect(await runResource(ingressTlsPolicy, ok)).to.deep.equal([]);
        const internal = obj(GW, "internal", { selector: { istio: "internalgateway" }, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }] });
        expect(await runResource(ingressTlsPolicy, internal)).to.deep.equal([]);
    });
    it("refuses plain HTTP without a redirect and HTTPS that passes TLS through", async () => {
        const got = await runResource(ingressTlsPolicy, ingress([
            { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["a"] },
            { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["a"], tls: { mode: "PASSTHROUGH" } },
        ]));
        expect(got).to.deep.equal([
            "Gateway shop/ingress-gateway: spec.servers[0] serves plain HTTP on port 80 without tls.httpsRedirect; ingress must be HTTPS or redirect to it. Fix: set tls.httpsRedirect: true on that server (mesh-traffic: ingress.tls), or serve HTTPS only.",
            'Gateway shop/ingress-gateway: spec.servers[1] is HTTPS with tls.mode "PASSTHROUGH" and no credential; ingress HTTPS must terminate TLS (SIMPLE, MUTUAL or OPTIONAL_MUTUAL) with a credentialName. Fix: mesh-traffic: ingress.tls { mode: SIMPLE, credentialName: <secret> }.',
        ]);
    });
    it("Gateway API: refuses an HTTPS listener without a certificate, passes one with", async () => {
        const listener = (tls: unknown) => obj(KGW, "ingress", { gatewayClassName: "istio", listeners: [{ name: "https", port: 443, protocol: "HTTPS", tls }] });
        expect(await runResource(ingressTlsPolicy, listener({ mode: "Terminate" }))).to.have.length(1);
        expect(await runResource(ingressTlsPolicy, listener({ mode: "Terminate", certificateRefs: [{ name: "a-tls" }] }))).to.deep.equal([]);
    });
    it("Gateway API: an HTTP listener needs an attached HTTPRoute that redirects to https, and no other", async () => {
        const gw = obj(KGW, "ingress", { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] });
        const redirect = obj(HTTPROUTE, "ingress-https-redirect", { parentRefs: [{ name: "ingress", sectionName: "http" }], rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }] });
        const plain = obj(HTTPROUTE, "ingress-0", { parentRefs: [{ name: "ingress" }], rules: [{ backendRefs: [{ name: "a" }] }] });
        expect(await runStack(ingressRedirectPolicy, [gw, redirect])).to.deep.equal([]);
        expect(await runStack(ingressRedirectPolicy, [gw])).to.have.length(1);
        const got = await runStack(ingressRedirectPolicy, [gw, redirect, plain]);
        expect(got).to.deep.equal([
            'Gateway shop/ingress: spec.listeners[0] ("http") is plain HTTP and HTTPRoute shop/ingress-0 serves it without redirecting to HTTPS. Fix: attach that route to the HTTPS listener (parentRefs sectionName) and redirect plain HTTP.',
        ]);
        // A ClusterIP Gateway (mesh-traffic's internal gateway) is reached from the cluster only: no ingress.
        const internal = obj(KGW, "internal", { gatewayClassName: "istio", listeners: [{ name: "http", port: 80, protocol: "HTTP" }] });
        (internal.props as { metadata: Record<string, unknown> }).metadata["annotations"] = { "networking.istio.io/service-type": "ClusterIP" };
        const internalRoute = obj(HTTPROUTE, "internal-0", { parentRefs: [{ name: "internal", sectionName: "http" }], rules: [{ backendRefs: [{ name: "a" }] }] });
        expect(await runStack(ingressRedirectPolicy, [internal, internalRoute])).to.deep.equal([]);
    });
});

describe("policy pack: the committed stacks under their environment's config", () => {
    const fixtures = path.resolve(__dirname, "..", "..", "fixtures", "single-layout");
    const envs = ["dev", "staging", "production"];
    for (const env of envs) {
        it(`${env}: no mandatory policy of policy/config/${env}.json is violated`, async () => {
            const objects = (JSON.parse(fs.readFileSync(path.join(fixtures, `${env}.json`), "utf8")) as { type: string; name: string; inputs: Record<string, unknown> }[]).map(
                (o) => ({ type: o.type, name: o.name, props: o.inputs }),
            );
            // The stack's config as the engine hands it to the pack: "mesh-traffic:<key>" -> text (JSON for objects).
            const pulumiConfig: Record<string, string> = {};
            for (const [k, v] of Object.entries(rawStackConfig(`Pulumi.${env}.yaml`))) {
                pulumiConfig[`mesh-traffic:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
            }
            expect(pulumiConfig["mesh-traffic:release"]).to.contain("steps");
            const file = envPolicyConfig(env);
            const findings: Record<string, string[]> = {};
            for (const policy of meshPolicies(() => pulumiConfig)) {
                const got = await runPolicy(policy, objects, configFor(policy, file));
                if (got.length > 0) {
                    findings[`${levelOf(policy, file)} ${policy.name}`] = got;
                }
            }
            expect(Object.keys(findings).filter((k) => k.startsWith("mandatory"))).to.deep.equal([]);
            // What is advisory: production's and staging's sample-app-frontend routes set no timeout or retries.
            if (env !== "dev") {
                expect(Object.keys(findings)).to.deep.equal(["advisory http-retries-timeouts"]);
                expect(findings["advisory http-retries-timeouts"]?.join("\n")).to.contain("sample-app-frontend");
            }
        });
    }
    it("every policy of the pack has a name in each environment's config file, and no file names a policy the pack lacks", () => {
        const names = meshPolicies(() => ({})).map((p) => p.name).sort();
        for (const env of envs) {
            expect(Object.keys(envPolicyConfig(env)).sort(), env).to.deep.equal(names);
        }
    });
});
