/** Shared metadata of every object this package emits. */
import type { IstioResourceArgs, IstioKind } from "./istio/types";

/** Labels on every emitted object, merged under the caller's labels. */
export const BASE_LABELS: Readonly<Record<string, string>> = {
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": "mesh-traffic",
};

/** Metadata with an explicit name (Istio objects are referenced by name) in `namespace`. */
export function objectMeta(name: string, namespace: string, labels: Readonly<Record<string, string>> | undefined): IstioResourceArgs<IstioKind>["metadata"] & { labels: Record<string, string> } {
    return { name, namespace, labels: { ...BASE_LABELS, ...(labels ?? {}) } };
}
