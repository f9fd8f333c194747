/**
 * The component provider's `Canary` (`mesh-traffic:index:Canary` for Python, Go, C#, YAML): provider-facing args
 * (provider/canaryArgs.ts) handed to the TypeScript {@link MeshCanary}, its one child, which checks them (every
 * problem at once, one `MeshValidationError`) and creates the DestinationRule and VirtualService.
 */
import * as pulumi from "@pulumi/pulumi";
import { Canary as MeshCanary } from "../components/canary";
import { CANARY_TOKEN } from "../components/canaryPlan";
import type { Weights } from "../components/routes";
import { canaryArgs, type CanaryProviderArgs } from "./canaryArgs";

/** An Istio canary of one service: its DestinationRule (subsets stable/canary) and mesh VirtualService. */
export class Canary extends pulumi.ComponentResource {
    /** The destination host. */
    public readonly host: pulumi.Output<string>;
    /** Hosts of the mesh VirtualService. */
    public readonly hosts: pulumi.Output<string[]>;
    /** Subset names the DestinationRule defines. */
    public readonly subsets: pulumi.Output<string[]>;
    /** Live catch-all weights, percent. */
    public readonly weights: pulumi.Output<Weights>;

    constructor(name: string, args: CanaryProviderArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(CANARY_TOKEN, name, {}, opts);
        const canary = new MeshCanary(name, canaryArgs(args), { parent: this });
        this.host = canary.host;
        this.hosts = canary.hosts;
        this.subsets = canary.subsets;
        this.weights = canary.weights;
        this.registerOutputs({ host: this.host, hosts: this.hosts, subsets: this.subsets, weights: this.weights });
    }
}
