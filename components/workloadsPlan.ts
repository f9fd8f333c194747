/** What {@link Workloads} emits, checked without creating anything. Pure: loads no Pulumi SDK. */
import { checkCount, checkDnsLabel, checkNoControlChars, checkNonEmpty, checkPort, checkUnique, type Problem } from "./validation";
import type { DeepInput, Plain } from "./inputs";
import type { ServiceProtocol } from "./canaryPlan";

/** One version of the app. */
export interface WorkloadVersionArgs {
    /** The `version` label value, e.g. "v1" (DNS label). Plain: it names the version's Deployment. */
    version: string;
    /** Container image, e.g. "ghcr.io/acme/sample-app:v1". */
    image: DeepInput<string>;
    /** Replicas, integer >= 0. Default 1. */
    replicas?: DeepInput<number>;
}

/** Arguments of {@link Workloads}. Every value accepts a `pulumi.Input` but the list of versions and their labels (each names a Deployment). */
export interface WorkloadsArgs {
    /** Namespace of every object. */
    namespace: DeepInput<string>;
    /** App name: the Service name and the `app` label. */
    app: DeepInput<string>;
    /** Versions to run, one Deployment each. At least one. */
    versions: WorkloadVersionArgs[];
    /** Service port, 1..65535. Default 8080. */
    port?: DeepInput<number>;
    /** Container port, 1..65535. Default `port`. */
    targetPort?: DeepInput<number>;
    /**
     * Annotate Deployments and the Service with `pulumi.com/skipAwait: "true"` (a control plane without
     * controllers never reports readiness). Default false.
     */
    skipAwait?: DeepInput<boolean>;
    /** Extra labels on every object (not on selectors). Default none. */
    labels?: DeepInput<Record<string, string>>;
    /** What the app speaks: the name of the Service and container port (`http`, `grpc`, `tcp`), Istio's protocol selection. Default `http`. */
    protocol?: ServiceProtocol;
    /** Extra labels on the Service only (e.g. Istio's `istio.io/use-waypoint`). Default none. */
    serviceLabels?: DeepInput<Record<string, string>>;
}

/** Pure: validates WorkloadsArgs and resolves the ports. */
export function planWorkloads(args: Plain<WorkloadsArgs>): { problems: Problem[]; port: number; targetPort: number } {
    const port = args.port ?? 8080;
    const targetPort = args.targetPort ?? port;
    const problems: Problem[] = [
        ...checkDnsLabel("namespace", args.namespace),
        ...checkDnsLabel("app", args.app),
        ...checkPort("port", port),
        ...checkPort("targetPort", targetPort),
        ...checkUnique("versions", args.versions.map((v) => v.version), "version"),
    ];
    if (args.versions.length === 0) {
        problems.push({ propertyPath: "versions", reason: 'versions is []; it must list at least one version, such as [{ version: "v1", image: "..." }]' });
    }
    args.versions.forEach((v, i) => {
        problems.push(
            ...checkDnsLabel(`versions[${i}].version`, v.version),
            ...checkNonEmpty(`versions[${i}].image`, v.image),
            ...checkNoControlChars(`versions[${i}].image`, v.image),
            ...checkCount(`versions[${i}].replicas`, v.replicas, 0),
        );
        if (`${args.app}-${v.version}`.length > 63) {
            problems.push({ propertyPath: `versions[${i}].version`, reason: `versions[${i}].version makes the Deployment name "${args.app}-${v.version}" longer than 63 characters; shorten app or version` });
        }
    });
    return { problems, port, targetPort };
}
