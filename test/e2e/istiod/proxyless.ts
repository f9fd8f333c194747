/**
 * Proxyless gRPC through istiod: a gRPC server per version on a loopback port (the port of that version's stand-in
 * WorkloadEntry) and a `@grpc/grpc-js-xds` client whose xDS bootstrap points at istiod's plaintext port with the
 * node metadata `GENERATOR: grpc`, so istiod sends it what its gRPC generator makes of our objects. Requests are
 * real: they go from the client to the server istiod's routes and endpoints pick.
 */
import * as grpc from "@grpc/grpc-js";

/** A unary method with raw bytes in and out (no .proto needed): the server answers with its version. */
const METHOD = {
    path: "/mesh.e2e.Echo/Version",
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer): Buffer => b,
    requestDeserialize: (b: Buffer): Buffer => b,
    responseSerialize: (b: Buffer): Buffer => b,
    responseDeserialize: (b: Buffer): Buffer => b,
} as const;

export interface VersionServers {
    stop(): Promise<void>;
}

/** One gRPC server per version, on 127.0.0.1:<port>, answering its version name. */
export async function startVersionServers(ports: Record<string, number>): Promise<VersionServers> {
    const servers: grpc.Server[] = [];
    for (const [version, port] of Object.entries(ports)) {
        const server = new grpc.Server();
        server.addService({ Version: METHOD } as unknown as grpc.ServiceDefinition, {
            Version: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(version)),
        });
        await new Promise<void>((resolve, reject) =>
            server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => (err === null ? resolve() : reject(err))),
        );
        servers.push(server);
    }
    return { stop: async () => void (await Promise.all(servers.map((s) => new Promise<void>((r) => s.tryShutdown(() => r()))))) };
}

/** The xDS bootstrap of a proxyless client of `namespace` talking to istiod's plaintext xDS port. */
export function grpcBootstrap(xdsAddress: string, namespace: string): Record<string, unknown> {
    return {
        xds_servers: [{ server_uri: xdsAddress, channel_creds: [{ type: "insecure" }], server_features: ["xds_v3"] }],
        node: {
            id: `sidecar~10.254.3.1~grpc-client.${namespace}~${namespace}.svc.cluster.local`,
            metadata: { GENERATOR: "grpc", NAMESPACE: namespace, CLUSTER_ID: "Kubernetes", ISTIO_VERSION: "1.31.0", LABELS: { app: "grpc-client" } },
            locality: {},
        },
    };
}

export interface CallResult {
    version?: string;
    code: grpc.status;
    ms: number;
}

/** A proxyless client of `target` (xds:///host:port). Register grpc-js-xds and set its bootstrap first. */
export class ProxylessClient {
    private readonly client: grpc.Client;
    constructor(target: string) {
        this.client = new grpc.Client(target, grpc.credentials.createInsecure());
    }

    call(headers: Record<string, string> = {}, deadlineMs = 30_000): Promise<CallResult> {
        const md = new grpc.Metadata();
        for (const [k, v] of Object.entries(headers)) md.set(k, v);
        const t0 = Date.now();
        return new Promise((resolve) => {
            this.client.makeUnaryRequest(METHOD.path, METHOD.requestSerialize, METHOD.responseDeserialize, Buffer.alloc(0), md, { deadline: Date.now() + deadlineMs }, (err, res) => {
                resolve(err === null ? { version: res?.toString(), code: grpc.status.OK, ms: Date.now() - t0 } : { code: err.code, ms: Date.now() - t0 });
            });
        });
    }

    close(): void {
        this.client.close();
    }
}

/** |observed - n p| within `z` standard deviations of a binomial(n, p). */
export function withinBinomial(observed: number, n: number, p: number, z = 4.5): boolean {
    return Math.abs(observed - n * p) <= z * Math.sqrt(n * p * (1 - p));
}
