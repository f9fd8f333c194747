/**
 * The live Istio objects of one namespace from the API server of a kubeconfig (@kubernetes/client-node's
 * CustomObjectsApi, loaded lazily: a command that reads no live object never loads the Kubernetes client). The
 * release program's live-split read (release/live.ts `LiveReader`) is {@link kubeLiveReader}; the traffic simulator
 * reads its VirtualServices and DestinationRules through {@link kubeIstioLister} too.
 */
import type { LiveReader, LiveVirtualService } from "../live";

/** Lists the objects of one `networking.istio.io/v1` kind (by its plural) in a namespace; rejects when the API server cannot be read. */
export type IstioLister = (namespace: string, plural: string) => Promise<unknown[]>;

/**
 * A lister for the API server of a kubeconfig.
 * @param kubeconfigPath kubeconfig file; default: $KUBECONFIG or ~/.kube/config (client-node's default).
 * @param context context to use; default: the kubeconfig's current context.
 */
export async function kubeIstioLister(kubeconfigPath?: string, context?: string): Promise<IstioLister> {
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
    return async (namespace, plural) => {
        // CustomObjectsApi returns untyped JSON; its readers check the shape field by field.
        const res = (await api.listNamespacedCustomObject({ group: "networking.istio.io", version: "v1", namespace, plural })) as { items?: unknown[] };
        return res.items ?? [];
    };
}

/** The live-split read of mesh-release: the VirtualServices of a namespace, from the current kubeconfig's API server. */
export function kubeLiveReader(kubeconfigPath?: string, context?: string): LiveReader {
    let lister: Promise<IstioLister> | undefined;
    return async (namespace) => {
        lister ??= kubeIstioLister(kubeconfigPath, context);
        return (await (await lister)(namespace, "virtualservices")) as LiveVirtualService[];
    };
}
