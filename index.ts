/**
 * The mesh-traffic Pulumi program: load the stack config (`mesh-traffic:` keys, checked before anything is
 * registered), build the stack, export its outputs. Environments differ by Pulumi.<stack>.yaml only.
 */
import { buildMeshStack, readStackConfig } from "./stacks";

const { outputs } = buildMeshStack(readStackConfig());

/** Namespace of every object. */
export const namespace = outputs.namespace;
/** Per service: live weights `{ stable, canary }`, subsets, version labels, mesh hosts, gateway hosts. */
export const services = outputs.services;
/** Hosts of the ingress gateway (empty when it is disabled). */
export const ingressHosts = outputs.ingressHosts;
/** External hosts reached through the egress gateway. */
export const egressHosts = outputs.egressHosts;
