/**
 * The live Istio objects of one namespace from the API server of a kubeconfig (@kubernetes/client-node's
 * CustomObjectsApi, loaded lazily: a command that reads no live object never loads the Kubernetes client). The
 * release program's live-split read (release/core/live.ts `LiveReader`) is {@link kubeLiveReader}; the traffic simulator
 * reads its VirtualServices and DestinationRules through {@link kubeIstioLister} too.
 */
import type { LiveHTTPRoute, LiveReader, LiveVirtualService } from "../core/live";

/** Lists the objects of one `networking.istio.io/v1` kind (by its plural) in a namespace; rejects when the API server cannot be read. */
export type IstioLister = (namespace: string, plural: string) => Promise<unknown[]>;

/** client-node's CustomObjectsApi for a kubeconfig (default: $KUBECONFIG or ~/.kube/config) and context (default: current). */
async function customObjectsApi(kubeconfigPath: string | undefined, context: string | undefined): Promise<import("@kubernetes/client-node").CustomObjectsApi> {
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
    return kc.makeApiClient(k8s.CustomObjectsApi);
}

/**
 * A lister for the API server of a kubeconfig.
 * @param kubeconfigPath kubeconfig file; default: $KUBECONFIG or ~/.kube/config (client-node's default).
 * @param context context to use; default: the kubeconfig's current context.
 */
export async function kubeIstioLister(kubeconfigPath?: string, context?: string): Promise<IstioLister> {
    const api = await customObjectsApi(kubeconfigPath, context);
    return async (namespace, plural) => {
        // CustomObjectsApi returns untyped JSON; its readers check the shape field by field.
        const res = (await api.listNamespacedCustomObject({ group: "networking.istio.io", version: "v1", namespace, plural })) as { items?: unknown[] };
        return res.items ?? [];
    };
}

/**
 * Lists the HTTPRoutes (gateway.networking.k8s.io/v1) of a namespace; none when the API server has no Gateway API
 * CRDs (404).
 */
export async function kubeHttpRouteLister(kubeconfigPath?: string, context?: string): Promise<(namespace: string) => Promise<LiveHTTPRoute[]>> {
    const api = await customObjectsApi(kubeconfigPath, context);
    return async (namespace) => {
        try {
            const res = (await api.listNamespacedCustomObject({ group: "gateway.networking.k8s.io", version: "v1", namespace, plural: "httproutes" })) as { items?: unknown[] };
            return (res.items ?? []).map((o) => ({ ...(o as object), kind: "HTTPRoute" as const }));
        } catch (err) {
            if ((err as { code?: unknown }).code === 404) return [];
            throw err;
        }
    };
}

/**
 * The live-split read of mesh-release: the VirtualServices and HTTPRoutes of a namespace, from the current
 * kubeconfig's API server (release/core/live.ts reads the service's VirtualService, else its mesh HTTPRoute).
 */
export function kubeLiveReader(kubeconfigPath?: string, context?: string): LiveReader {
    let lister: Promise<IstioLister> | undefined;
    let routes: Promise<(namespace: string) => Promise<LiveHTTPRoute[]>> | undefined;
    return async (namespace) => {
        lister ??= kubeIstioLister(kubeconfigPath, context);
        routes ??= kubeHttpRouteLister(kubeconfigPath, context);
        const [vs, hr] = await Promise.all([(await lister)(namespace, "virtualservices"), (await routes)(namespace)]);
        return [...(vs as LiveVirtualService[]), ...hr];
    };
}
