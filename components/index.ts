/** Public surface of the components package. */
export * from "./istio/types";
export * from "./validation";
export * from "./subsets";
export * from "./routes";
export * from "./trafficPolicy";
export * from "./destinationRuleClaims";
export * from "./meta";
export * from "./canary";
export * from "./circuitBreaker";
export * from "./ingressGateway";
export * from "./internalGateway";
export * from "./egressGateway";
export * from "./workloads";
