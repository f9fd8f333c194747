/**
 * The live Istio objects of one namespace from the API server of a kubeconfig (@kubernetes/client-node's
 * CustomObjectsApi, loaded lazily: a command that reads no live object never loads the Kubernetes client). The
 * release program's live-split read (release/core/live.ts `LiveReader`) is {@link kubeLiveReader}; the traffic simulator
 * reads its VirtualServices and DestinationRules through {@link kubeIstioLister} too.
 */
import { MESH_ROUTE_KINDS, type MeshRouteKind } from "../../contract/schema";
import type { LiveGatewayRoute, LiveReader, LiveVirtualService } from "../core/live";

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
 * Lists the mesh route kinds a service may have (gateway.networking.k8s.io/v1 HTTPRoutes, GRPCRoutes, TCPRoutes) of a
 * namespace; a kind the API server does not serve (404: no such CRD) lists none.
 */
export async function kubeGatewayRouteLister(kubeconfigPath?: string, context?: string): Promise<(namespace: string) => Promise<LiveGatewayRoute[]>> {
    const api = await customObjectsApi(kubeconfigPath, context);
    const list = async (namespace: string, kind: MeshRouteKind): Promise<LiveGatewayRoute[]> => {
        try {
            const plural = `${kind.toLowerCase()}s`;
            const res = (await api.listNamespacedCustomObject({ group: "gateway.networking.k8s.io", version: "v1", namespace, plural })) as { items?: unknown[] };
            return (res.items ?? []).map((o) => ({ ...(o as object), kind }));
        } catch (err) {
            if ((err as { code?: unknown }).code === 404) return [];
            throw err;
        }
    };
    return async (namespace) => (await Promise.all(Object.values(MESH_ROUTE_KINDS).map((k) => list(namespace, k)))).flat();
}

/**
 * The live-split read of mesh-release: the VirtualServices and Gateway API routes of a namespace, from the current
 * kubeconfig's API server (release/core/live.ts reads the kind the stack's `routingApi` names: the service's
 * VirtualService, or its mesh HTTPRoute, GRPCRoute or TCPRoute).
 */
export function kubeLiveReader(kubeconfigPath?: string, context?: string): LiveReader {
    let lister: Promise<IstioLister> | undefined;
    let routes: Promise<(namespace: string) => Promise<LiveGatewayRoute[]>> | undefined;
    return async (namespace) => {
        lister ??= kubeIstioLister(kubeconfigPath, context);
        routes ??= kubeGatewayRouteLister(kubeconfigPath, context);
        const [vs, hr] = await Promise.all([(await lister)(namespace, "virtualservices"), (await routes)(namespace)]);
        return [...(vs as LiveVirtualService[]), ...hr];
    };
}
