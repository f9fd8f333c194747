/**
 * `Workloads`: the sample app as Kubernetes objects, so that a stack is a whole environment: one
 * Deployment per version (`<app>-<version>`, labels app + version, so promotion never recreates the
 * running canary) and one Service (port named by `protocol`: `http`, `grpc` or `tcp`; selector app only: subsets pick versions).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { planWorkloads } from "./workloadsPlan";
import { servicePortName } from "./canaryPlan";
import { BASE_LABELS } from "./meta";
import { PlannedArgs, type Plain } from "./inputs";
import { reusePlan } from "./planOnce";
import type { WorkloadsArgs } from "./workloadsPlan";
export type { WorkloadVersionArgs, WorkloadsArgs } from "./workloadsPlan";

export const WORKLOADS_TOKEN = "mesh-traffic:index:Workloads";

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
            plan: (a: Plain<WorkloadsArgs>) => reusePlan(planWorkloads, a),
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
                                containers: [{ name: a.app, image: version(a).image, ports: [{ name: servicePortName(a.protocol), containerPort: targetPort }] }],
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
                spec: planned.map((a, { port, targetPort }) => ({ selector: { app: a.app }, ports: [{ name: servicePortName(a.protocol), port, targetPort }] })),
            },
            { parent: this },
        );
        this.registerOutputs({ deployments: this.deployments, service: this.service, versions: this.versions });
    }
}
