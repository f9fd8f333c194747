/** What {@link Workloads} emits, checked without creating anything. Pure: loads no Pulumi SDK. */
import { checkCount, checkDnsLabel, checkNoControlChars, checkNonEmpty, checkPort, checkUnique, type Problem } from "./validation";
import type { Plain } from "./inputs";
import type { WorkloadsArgs } from "./workloads";

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
