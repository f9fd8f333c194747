/**
 * `Workloads`: the sample app as Kubernetes objects, so that a stack is a whole environment: one
 * Deployment per version (`<app>-<version>`, labels app + version, so promotion never recreates the
 * running canary) and one Service (port name `http`, selector app only: subsets pick versions).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { planWorkloads } from "./workloadsPlan";
import { BASE_LABELS } from "./meta";
import { throwIfProblems } from "./meshValidationError";

export const WORKLOADS_TOKEN = "mesh-traffic:index:Workloads";

/** One version of the app. */
export interface WorkloadVersionArgs {
    /** The `version` label value, e.g. "v1" (DNS label). */
    version: string;
    /** Container image, e.g. "ghcr.io/acme/sample-app:v1". */
    image: string;
    /** Replicas, integer >= 0. Default 1. */
    replicas?: number;
}

/** Arguments of {@link Workloads}. */
export interface WorkloadsArgs {
    /** Namespace of every object. */
    namespace: string;
    /** App name: the Service name and the `app` label. */
    app: string;
    /** Versions to run, one Deployment each. At least one. */
    versions: WorkloadVersionArgs[];
    /** Service port, 1..65535. Default 8080. */
    port?: number;
    /** Container port, 1..65535. Default `port`. */
    targetPort?: number;
    /**
     * Annotate Deployments and the Service with `pulumi.com/skipAwait: "true"` (a control plane without
     * controllers never reports readiness). Default false.
     */
    skipAwait?: boolean;
    /** Extra labels on every object (not on selectors). Default none. */
    labels?: Record<string, string>;
    /** Extra labels on the Service only (e.g. Istio's `istio.io/use-waypoint`). Default none. */
    serviceLabels?: Record<string, string>;
}

export class Workloads extends pulumi.ComponentResource {
    /** Deployments by version label. */
    public readonly deployments: Record<string, k8s.apps.v1.Deployment>;
    /** The Service. */
    public readonly service: k8s.core.v1.Service;
    /** The version labels deployed. */
    public readonly versions: string[];

    constructor(name: string, args: WorkloadsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const { problems, port, targetPort } = planWorkloads(args);
        throwIfProblems(WORKLOADS_TOKEN, name, problems);
        super(WORKLOADS_TOKEN, name, {}, opts);

        const annotations: Record<string, string> = args.skipAwait === true ? { "pulumi.com/skipAwait": "true" } : {};
        const common = { ...BASE_LABELS, ...(args.labels ?? {}) };
        this.versions = args.versions.map((v) => v.version);
        this.deployments = {};
        for (const v of args.versions) {
            const selector = { app: args.app, version: v.version };
            this.deployments[v.version] = new k8s.apps.v1.Deployment(
                `${name}-${v.version}`,
                {
                    metadata: { name: `${args.app}-${v.version}`, namespace: args.namespace, labels: { ...common, ...selector }, annotations },
                    spec: {
                        replicas: v.replicas ?? 1,
                        selector: { matchLabels: selector },
                        template: {
                            metadata: { labels: { ...common, ...selector } },
                            spec: {
                                containers: [{ name: args.app, image: v.image, ports: [{ name: "http", containerPort: targetPort }] }],
                            },
                        },
                    },
                },
                { parent: this },
            );
        }
        this.service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: args.app, namespace: args.namespace, labels: { ...common, ...(args.serviceLabels ?? {}), app: args.app }, annotations },
                spec: { selector: { app: args.app }, ports: [{ name: "http", port, targetPort }] },
            },
            { parent: this },
        );
        this.registerOutputs({ deployments: this.deployments, service: this.service, versions: this.versions });
    }
}
