/**
 * Test support: an example environment with the per-service layout (one platform stack, two service stacks),
 * shared by the unit tests (test/unit/stacks/layout.test.ts, test/unit/release/fanout.test.ts: `prodEnvironment`)
 * and the end-to-end test on the real engine (test/e2e/stack/layouts.test.ts).
 */
type Raw = Record<string, unknown>;

/** A platform stack and two service stacks, as raw `mesh-traffic:` config. */
export interface ExampleEnvironment {
    platform: { stack: string; config: Raw };
    services: { stack: string; config: Raw }[];
}

/**
 * An environment `env` in namespace `namespace`: a platform stack `env` (ingress `shop.example.com` routing
 * `/api` to checkout and `/` to frontend, one egress host) and the service stacks `env.checkout` (canary v2 at
 * 20 %, a header pin, an A/B flag, a URI route, timeout, retries, a 5 % delay fault) and `env.frontend`
 * (port 80, stable only). Fresh copies per call.
 */
export function exampleEnvironment(env: string, namespace: string): ExampleEnvironment {
    return {
        platform: {
            stack: env,
            config: {
                layout: "platform",
                namespace,
                skipAwait: true,
                ingress: {
                    enabled: true,
                    hosts: ["shop.example.com"],
                    tls: { mode: "SIMPLE", credentialName: "shop-tls" },
                    routes: [
                        { prefix: "/api", service: "checkout" },
                        { prefix: "/", service: "frontend" },
                    ],
                },
                egress: [{ host: "api.external-service.com", port: 443 }],
            },
        },
        services: [
            {
                stack: `${env}.checkout`,
                config: {
                    layout: "service",
                    platformStack: env,
                    skipAwait: true,
                    services: {
                        checkout: {
                            image: "ghcr.io/acme/checkout:{version}",
                            stable: { version: "v1" },
                            canary: { version: "v2", weight: 20 },
                            pins: [{ header: "x-canary", exact: "true" }],
                            abTest: { header: "x-new-checkout", value: "on" },
                            uriRoutes: [{ prefix: "/api/legacy", subset: "stable" }],
                            timeout: "5s",
                            retries: { attempts: 2, perTryTimeout: "2s", retryOn: "5xx" },
                            faults: { delay: { percentage: 5, fixedDelay: "1s" } },
                        },
                    },
                },
            },
            {
                stack: `${env}.frontend`,
                config: {
                    layout: "service",
                    platformStack: env,
                    skipAwait: true,
                    services: { frontend: { port: 80, image: "ghcr.io/acme/frontend:{version}", stable: { version: "v7" } } },
                },
            },
        ],
    };
}


/** The example environment `prod` in namespace `shop`, the one the unit tests use (a fresh copy per call). */
export const prodEnvironment = (): ExampleEnvironment => exampleEnvironment("prod", "shop");

/**
 * The example environment `prod` (namespace `shop`) with `routingApi: gateway-api` in every stack, without what that
 * mode refuses (the platform's egress host, checkout's faults and retries). A fresh copy per call.
 */
export function gatewayApiEnvironment(): ExampleEnvironment {
    const env = prodEnvironment();
    env.platform.config["routingApi"] = "gateway-api";
    delete env.platform.config["egress"];
    for (const s of env.services) {
        s.config["routingApi"] = "gateway-api";
        for (const svc of Object.values(s.config["services"] as Record<string, Raw>)) {
            delete svc["faults"];
            delete svc["retries"];
        }
    }
    return env;
}
