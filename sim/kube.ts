/**
 * Reads the VirtualServices and DestinationRules of one namespace from a live API server with
 * @kubernetes/client-node's CustomObjectsApi. Loaded lazily, so the fixed-weights mode and the
 * unit tests never load the Kubernetes client.
 */
import type { DestinationRuleSpec, MeshObject, VirtualServiceSpec } from "./routing";

export interface MeshObjects {
    virtualServices: MeshObject<VirtualServiceSpec>[];
    destinationRules: MeshObject<DestinationRuleSpec>[];
}

/** Lists the mesh objects of a namespace; rejects when the API server cannot be read. */
export type MeshReader = (namespace: string) => Promise<MeshObjects>;

/**
 * A reader for the API server of a kubeconfig.
 * @param kubeconfigPath kubeconfig file; default: $KUBECONFIG or ~/.kube/config (client-node's default).
 * @param context context to use; default: the kubeconfig's current context.
 */
export async function kubeMeshReader(kubeconfigPath?: string, context?: string): Promise<MeshReader> {
    const k8s = await import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    if (kubeconfigPath === undefined) {
        kc.loadFromDefault();
    } else {
        kc.loadFromFile(kubeconfigPath);
    }
    if (context !== undefined) {
        kc.setCurrentContext(context);
    }
    const api = kc.makeApiClient(k8s.CustomObjectsApi);
    const list = async <T>(namespace: string, plural: string): Promise<MeshObject<T>[]> => {
        // CustomObjectsApi returns untyped JSON; the shape is checked field by field in routing.ts.
        const res = (await api.listNamespacedCustomObject({
            group: "networking.istio.io",
            version: "v1",
            namespace,
            plural,
        })) as { items?: MeshObject<T>[] };
        return res.items ?? [];
    };
    return async (namespace) => {
        const [virtualServices, destinationRules] = await Promise.all([
            list<VirtualServiceSpec>(namespace, "virtualservices"),
            list<DestinationRuleSpec>(namespace, "destinationrules"),
        ]);
        return { virtualServices, destinationRules };
    };
}
