/**
 * `Workloads`: the sample app as Kubernetes objects, so that a stack is a whole environment: one
 * Deployment per version (`<app>-<version>`, labels app + version, so promotion never recreates the
 * running canary) and one Service (port name `http`, selector app only: subsets pick versions).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { planWorkloads } from "./workloadsPlan";
import { BASE_LABELS } from "./meta";
import { PlannedArgs, type DeepInput, type Plain } from "./inputs";

export const WORKLOADS_TOKEN = "mesh-traffic:index:Workloads";

/** One version of the app. */
export interface WorkloadVersionArgs {
    /** The `version` label value, e.g. "v1" (DNS label). Plain: it names the version's Deployment. */
    version: string;
    /** Container image, e.g. "ghcr.io/acme/sample-app:v1". */
    image: pulumi.Input<string>;
    /** Replicas, integer >= 0. Default 1. */
    replicas?: pulumi.Input<number>;
}

/** Arguments of {@link Workloads}. Every value accepts a `pulumi.Input` but the list of versions and their labels (each names a Deployment). */
export interface WorkloadsArgs {
    /** Namespace of every object. */
    namespace: pulumi.Input<string>;
    /** App name: the Service name and the `app` label. */
    app: pulumi.Input<string>;
    /** Versions to run, one Deployment each. At least one. */
    versions: WorkloadVersionArgs[];
    /** Service port, 1..65535. Default 8080. */
    port?: pulumi.Input<number>;
    /** Container port, 1..65535. Default `port`. */
    targetPort?: pulumi.Input<number>;
    /**
     * Annotate Deployments and the Service with `pulumi.com/skipAwait: "true"` (a control plane without
     * controllers never reports readiness). Default false.
     */
    skipAwait?: pulumi.Input<boolean>;
    /** Extra labels on every object (not on selectors). Default none. */
    labels?: DeepInput<Record<string, string>>;
    /** Extra labels on the Service only (e.g. Istio's `istio.io/use-waypoint`). Default none. */
    serviceLabels?: DeepInput<Record<string, string>>;
}

export class Workloads extends pulumi.ComponentResource {
    /** Deployments by version label. */
    public readonly deployments: Record<string, k8s.apps.v1.Deployment>;
    /** The Service. */
    public readonly service: k8s.core.v1.Service;
    /** The version labels deployed. */
    public readonly versions: string[];

    constructor(name: string, args: WorkloadsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const planned = PlannedArgs.check(args, {
            token: WORKLOADS_TOKEN,
            name,
            plan: (a: Plain<WorkloadsArgs>) => planWorkloads(a),
            structural: ["versions[].version"],
        });
        super(WORKLOADS_TOKEN, name, {}, opts);
        planned.attach(this);

        const annotations = (a: Plain<WorkloadsArgs>): Record<string, string> => (a.skipAwait === true ? { "pulumi.com/skipAwait": "true" } : {});
        const common = (a: Plain<WorkloadsArgs>) => ({ ...BASE_LABELS, ...(a.labels ?? {}) });
        this.versions = args.versions.map((v) => v.version);
        this.deployments = {};
        args.versions.forEach((given, i) => {
            const version = (a: Plain<WorkloadsArgs>) => (a.versions[i] as (typeof a.versions)[number]);
            const selector = (a: Plain<WorkloadsArgs>) => ({ app: a.app, version: version(a).version });
            this.deployments[given.version] = new k8s.apps.v1.Deployment(
                `${name}-${given.version}`,
                {
                    metadata: planned.map((a) => ({
                        name: `${a.app}-${version(a).version}`,
                        namespace: a.namespace,
                        labels: { ...common(a), ...selector(a) },
                        annotations: annotations(a),
                    })),
                    spec: planned.map((a, { targetPort }) => ({
                        replicas: version(a).replicas ?? 1,
                        selector: { matchLabels: selector(a) },
                        template: {
                            metadata: { labels: { ...common(a), ...selector(a) } },
                            spec: {
                                containers: [{ name: a.app, image: version(a).image, ports: [{ name: "http", containerPort: targetPort }] }],
                            },
                        },
                    })),
                },
                { parent: this },
            );
        });
        this.service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: planned.map((a) => ({ name: a.app, namespace: a.namespace, labels: { ...common(a), ...(a.serviceLabels ?? {}), app: a.app }, annotations: annotations(a) })),
                spec: planned.map((a, { port, targetPort }) => ({ selector: { app: a.app }, ports: [{ name: "http", port, targetPort }] })),
            },
            { parent: this },
        );
        this.registerOutputs({ deployments: this.deployments, service: this.service, versions: this.versions });
    }
}
