/**
 * The component provider's `Workloads` (`mesh-traffic:index:Workloads`): a Deployment per version and one Service,
 * made by the TypeScript {@link MeshWorkloads}, its one child, which checks the args.
 */
import * as pulumi from "@pulumi/pulumi";
import { Workloads as MeshWorkloads, WORKLOADS_TOKEN, type WorkloadsArgs } from "../components/workloads";
import type { WorkloadVersionArgs } from "../components/workloadsPlan";

/** One version to run. */
export interface WorkloadsVersion {
    /** The `version` label value, e.g. "v1" (DNS label). Plain: it names the version's Deployment. */
    version: string;
    /** Container image. */
    image: pulumi.Input<string>;
    /** Replicas, integer >= 0. Default 1. */
    replicas?: pulumi.Input<number>;
}

/** Arguments of the provider's {@link Workloads}: the TypeScript `WorkloadsArgs`, in shapes a schema can say. */
export interface WorkloadsProviderArgs {
    /** Namespace of every object. */
    namespace: pulumi.Input<string>;
    /** App name: the Service name and the `app` label. */
    app: pulumi.Input<string>;
    /**
     * Versions to run, one Deployment each. At least one. Typed Input, not plain: Go's SDK generator (pkg/v3
     * codegen/go) generates no `WorkloadsVersionArgs` for a plain array of objects yet references it, so the Go SDK
     * would not compile. The list and each `version` must still be known at construction: the component refuses an
     * Output there (its `versions[].version` structural check, one MeshValidationError naming the path).
     */
    versions: pulumi.Input<pulumi.Input<WorkloadsVersion>[]>;
    /** Service port, 1..65535. Default 8080. */
    port?: pulumi.Input<number>;
    /** Container port, 1..65535. Default `port`. */
    targetPort?: pulumi.Input<number>;
    /** Annotate every object with `pulumi.com/skipAwait: "true"`. Default false. */
    skipAwait?: pulumi.Input<boolean>;
    /** Extra labels on every object (not on selectors). Default none. */
    labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Extra labels on the Service only. Default none. */
    serviceLabels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The TypeScript component's args: the same fields (the compiler checks each but `versions`: a known list arrives
 * plain from every language, and an Output in it is refused by the component's structural check).
 */
export function workloadsArgs(a: WorkloadsProviderArgs): WorkloadsArgs {
    return {
        namespace: a.namespace,
        app: a.app,
        versions: a.versions as WorkloadVersionArgs[],
        port: a.port,
        targetPort: a.targetPort,
        skipAwait: a.skipAwait,
        labels: a.labels,
        serviceLabels: a.serviceLabels,
    };
}

/** A Deployment per version and one Service of an app. */
export class Workloads extends pulumi.ComponentResource {
    /** The version labels deployed. */
    public readonly versions: pulumi.Output<string[]>;
    /** The Service's name. */
    public readonly serviceName: pulumi.Output<string>;

    constructor(name: string, args: WorkloadsProviderArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(WORKLOADS_TOKEN, name, {}, opts);
        const workloads = new MeshWorkloads(name, workloadsArgs(args), { parent: this });
        this.versions = pulumi.output(workloads.versions);
        this.serviceName = workloads.service.metadata.name;
        this.registerOutputs({ versions: this.versions, serviceName: this.serviceName });
    }
}
