/**
 * The small valid stack config the config tests start from; each test breaks one thing in a fresh copy.
 */
export type RawService = Record<string, unknown> & { canary: Record<string, unknown>; stable: Record<string, unknown> };
export type RawStack = Record<string, unknown> & { services: Record<string, RawService>; ingress: Record<string, unknown> };

/** A fresh copy of a small valid config: one service with a canary, an ingress routing to it, one egress host. */
export const baseStackConfig = (): RawStack => ({
    namespace: "shop",
    services: {
        "sample-app": { image: "img:{version}", stable: { version: "v1" }, canary: { version: "v2", weight: 10 } },
    },
    ingress: {
        enabled: true,
        hosts: ["shop.example.com"],
        tls: { mode: "SIMPLE", credentialName: "shop-tls" },
        routes: [{ prefix: "/", service: "sample-app" }],
    },
    egress: [{ host: "api.external-service.com" }],
});

/** The `sample-app` service of a config made by {@link baseStackConfig}. */
export const sampleApp = (raw: RawStack): RawService => raw.services["sample-app"] as RawService;
