/**
 * Reads the VirtualServices and DestinationRules of one namespace from a live API server, through the release
 * program's lister (release/driver/kubeLive.ts: @kubernetes/client-node loaded lazily, so the fixed-weights mode and
 * the unit tests never load the Kubernetes client).
 */
import { kubeIstioLister } from "../release/driver/kubeLive";
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
    const list = await kubeIstioLister(kubeconfigPath, context);
    return async (namespace) => {
        const [virtualServices, destinationRules] = await Promise.all([list(namespace, "virtualservices"), list(namespace, "destinationrules")]);
        // the shape is checked field by field in routing.ts
        return { virtualServices: virtualServices as MeshObject<VirtualServiceSpec>[], destinationRules: destinationRules as MeshObject<DestinationRuleSpec>[] };
    };
}
