/** Shared metadata of every object this package emits. */

/** Labels on every emitted object, merged under the caller's labels. */
export const BASE_LABELS: Readonly<Record<string, string>> = {
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": "mesh-traffic",
};

/** The metadata of an emitted object: explicit name and namespace, the base labels under the caller's. */
export interface ObjectMeta {
    name: string;
    namespace: string;
    labels: Record<string, string>;
}

/** Metadata with an explicit name (Istio objects are referenced by name) in `namespace`. */
export function objectMeta(name: string, namespace: string, labels: Readonly<Record<string, string>> | undefined): ObjectMeta {
    return { name, namespace, labels: { ...BASE_LABELS, ...(labels ?? {}) } };
}
