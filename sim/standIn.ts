/**
 * Endpoints without a kubelet. Nothing runs our Deployments on the local control plane, so for every Deployment
 * of a namespace a WorkloadEntry with the pod template's `app` and `version` labels and a loopback address stands
 * in for its pods: the service's Kubernetes Service selects it like a pod, and istiod builds each subset's
 * endpoints from it (a version's endpoint carries the version as its canonical revision, which the simulator reads
 * to know which version a cluster reaches). The entry is deleted with its Deployment, and there is none for a
 * Deployment scaled to 0 (no pods, no endpoints). Polls the API server with @kubernetes/client-node.
 */
import type * as k8sTypes from "@kubernetes/client-node";

/** The address every stand-in endpoint uses. */
export const STAND_IN_ADDRESS = "127.0.0.1";
/** Label on every WorkloadEntry this module creates. */
export const STAND_IN_LABEL = "mesh-traffic.dev/stand-in";

export interface EndpointStandIn {
    /** version -> loopback port of its stand-in endpoint. */
    ports(): Record<string, number>;
    /** One reconcile pass now; rejects with its API error. */
    sync(): Promise<void>;
    /** The last background pass's error, if it failed (the next pass retries). */
    lastError(): unknown;
    stop(): Promise<void>;
}

export interface StandInOptions {
    /** Service port name the endpoint's port is given for. Default "http". */
    portName?: string;
    /** Poll period, ms. Default 200. */
    pollMs?: number;
    /** Loopback port of a version's endpoint. Default: 20000, 20001, ... in order of appearance. */
    portFor?: (version: string) => number;
}

/** Keeps the stand-in WorkloadEntries of `namespace` in step with its Deployments (see the file comment). */
export async function startEndpointStandIn(kc: k8sTypes.KubeConfig, namespace: string, opts: StandInOptions = {}): Promise<EndpointStandIn> {
    const k8s = await import("@kubernetes/client-node");
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const portName = opts.portName ?? "http";
    const ports = new Map<string, number>();
    let next = 20000;
    const portFor = opts.portFor ?? ((v: string) => ports.get(v) ?? next++);
    const known = new Set<string>();
    const group = { group: "networking.istio.io", version: "v1", namespace, plural: "workloadentries" };
    const status = (e: unknown): number | undefined => (e as { code?: number }).code;

    const reconcile = async (): Promise<void> => {
        let deployments: k8sTypes.V1Deployment[];
        try {
            deployments = (await apps.listNamespacedDeployment({ namespace })).items;
        } catch (e) {
            if (status(e) === 404) return;
            throw e;
        }
        const want = new Set<string>();
        for (const d of deployments) {
            const name = d.metadata?.name ?? "";
            const labels = d.spec?.template.metadata?.labels ?? {};
            const version = labels["version"];
            const app = labels["app"];
            if (name === "" || version === undefined || app === undefined || d.spec?.replicas === 0) continue;
            want.add(name);
            if (known.has(name)) continue;
            const port = portFor(version);
            ports.set(version, port);
            try {
                await custom.createNamespacedCustomObject({
                    ...group,
                    body: {
                        apiVersion: "networking.istio.io/v1",
                        kind: "WorkloadEntry",
                        metadata: { name, namespace, labels: { [STAND_IN_LABEL]: "true" } },
                        spec: { address: STAND_IN_ADDRESS, labels: { app, version }, ports: { [portName]: port } },
                    },
                });
            } catch (e) {
                if (status(e) !== 409) throw e;
            }
            known.add(name);
        }
        for (const name of [...known]) {
            if (want.has(name)) continue;
            try {
                await custom.deleteNamespacedCustomObject({ ...group, name });
            } catch (e) {
                if (status(e) !== 404) throw e;
            }
            known.delete(name);
        }
    };

    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> = Promise.resolve();
    let lastError: unknown;
    const tick = (): void => {
        running = reconcile()
            .then(() => {
                lastError = undefined;
            })
            .catch((e: unknown) => {
                lastError = e;
            })
            .finally(() => {
                if (!stopped) timer = setTimeout(tick, opts.pollMs ?? 200);
            });
    };
    tick();
    return {
        ports: () => Object.fromEntries(ports),
        lastError: () => lastError,
        sync: async () => {
            await running;
            await reconcile();
            lastError = undefined;
        },
        stop: async () => {
            stopped = true;
            if (timer !== undefined) clearTimeout(timer);
            await running;
        },
    };
}
