/** The Istio kinds of the stack config's `routing` key, their keys and reference pages (no schema: contract/istioSpec.ts). */

/** The kinds `routing` holds, in the order docs and objects list them. */
export const ROUTING_KINDS = ["VirtualService", "DestinationRule", "ServiceEntry", "Gateway", "Sidecar"] as const;
export type RoutingKind = (typeof ROUTING_KINDS)[number];

/** The `routing` key of each kind: `routing.virtualServices.<name>` is a VirtualService spec. */
export const ROUTING_KEYS: Readonly<Record<RoutingKind, string>> = {
    VirtualService: "virtualServices",
    DestinationRule: "destinationRules",
    ServiceEntry: "serviceEntries",
    Gateway: "gateways",
    Sidecar: "sidecars",
};

/** Istio's reference page of each kind (docs/config.md and messages point there). */
export const ISTIO_REFERENCE: Readonly<Record<RoutingKind, string>> = {
    VirtualService: "https://istio.io/latest/docs/reference/config/networking/virtual-service/",
    DestinationRule: "https://istio.io/latest/docs/reference/config/networking/destination-rule/",
    ServiceEntry: "https://istio.io/latest/docs/reference/config/networking/service-entry/",
    Gateway: "https://istio.io/latest/docs/reference/config/networking/gateway/",
    Sidecar: "https://istio.io/latest/docs/reference/config/networking/sidecar-config/",
};

