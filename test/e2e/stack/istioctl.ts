/**
 * `istioctl analyze` (the binary scripts/toolchain.sh builds) on the live objects of the stack e2e tests.
 *
 * Analysis runs against the local API server (`--use-kube=true --kubeconfig $KUBECONFIG -n <ns>`): that works
 * offline (istioctl reads the objects and needs no istiod). Analysing exported YAML with `--use-kube=false` is NOT
 * used: in file mode istioctl skips every analyzer that needs Kubernetes inputs (destinationrule
 * SubsetSelectPodAnalyzer, virtualservice DestinationHostAnalyzer, gateway SecretAnalyzer, ...; see `-v`), so it
 * reports nothing even for broken references.
 *
 * The local control plane has no kubelet, controller-manager or Istio install, so the analyzers would only report
 * what is missing from the environment (no pods behind the subsets, no gateway workloads, no egress gateway
 * Service, no TLS secret). {@link installMeshEnvironment} creates what a cluster with Istio's default install
 * would have: the pods our Deployments' templates would start (with the injected sidecar), the standard
 * istio-ingressgateway / istio-egressgateway pods and Services in istio-system, and the TLS secret the ingress
 * Gateway names. The gateway labels and Service names are Istio's defaults, not read from our objects, so a
 * selector or host of ours that does not match them is still reported.
 */
import type * as k8s from "@kubernetes/client-node";
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { KubeObject } from "../../support/cluster";
import { deleteRaw, ensureCreated } from "./kubeRaw";

/** How to get istioctl, for the failure message. */
export const BUILD_ISTIOCTL = "bash scripts/toolchain.sh build istioctl";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

/** How long {@link waitForIstioctl} waits for a background build: `MESH_ISTIOCTL_WAIT_S` seconds, default 1800. */
export function istioctlWaitMs(env: NodeJS.ProcessEnv = process.env): number {
    const s = Number(env["MESH_ISTIOCTL_WAIT_S"] ?? "");
    return Number.isFinite(s) && s > 0 ? s * 1000 : 1_800_000;
}

/** Whether `pid` runs (a zombie, exited but not yet reaped by its parent shell, does not). */
function running(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
        try {
            process.kill(pid, 0);
            return !fs.existsSync("/proc");
        } catch (err) {
            return (err as NodeJS.ErrnoException).code === "EPERM";
        }
    }
}

/** `scripts/toolchain.sh --check istioctl`: istioctl is completely built (its done-marker exists). */
function istioctlBuilt(): boolean {
    try {
        execFileSync("bash", [path.join(REPO_ROOT, "scripts", "toolchain.sh"), "--check", "istioctl"], { stdio: "ignore", timeout: 30_000 });
        return true;
    } catch {
        return false;
    }
}

function logTail(file: string | undefined, lines = 25): string {
    if (file === undefined || file === "" || !fs.existsSync(file)) return "";
    const all = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    return `\nLast lines of ${file}:\n${all.slice(-lines).map((l) => `    ${l}`).join("\n")}`;
}

/**
 * The built istioctl. When scripts/e2e.sh builds it in the background (`MESH_ISTIOCTL_BUILD_PID`, log in
 * `MESH_ISTIOCTL_BUILD_LOG`), waits for that build to end, at most {@link istioctlWaitMs}. Throws (never skips)
 * when istioctl is not built, saying how to build it, with the end of the background build's log.
 */
export async function waitForIstioctl(env: NodeJS.ProcessEnv = process.env, pollMs = 2000): Promise<string> {
    const dir = env["MESH_TOOLCHAIN_DIR"] ?? "";
    const bin = path.join(dir, "bin", "istioctl");
    const pid = Number(env["MESH_ISTIOCTL_BUILD_PID"] ?? "");
    const deadline = Date.now() + istioctlWaitMs(env);
    let waited = false;
    if (Number.isInteger(pid) && pid > 0) {
        while (running(pid) && Date.now() < deadline) {
            waited = true;
            await new Promise((r) => setTimeout(r, pollMs));
        }
        if (running(pid)) {
            throw new Error(
                `istioctl is still building in the background (pid ${pid}) after ${Math.round(istioctlWaitMs(env) / 1000)} s ` +
                    `(MESH_ISTIOCTL_WAIT_S). Build it first with \`${BUILD_ISTIOCTL}\`, then rerun the e2e tests.` +
                    logTail(env["MESH_ISTIOCTL_BUILD_LOG"]),
            );
        }
    }
    if (dir === "" || !fs.existsSync(bin) || !istioctlBuilt()) {
        throw new Error(
            `istioctl is not built (looked for ${dir === "" ? "$MESH_TOOLCHAIN_DIR/bin/istioctl, MESH_TOOLCHAIN_DIR unset" : bin}` +
                `${waited ? ", after waiting for the background build" : ""}). Build it with \`${BUILD_ISTIOCTL}\` (the slowest ` +
                "tool of the toolchain), then rerun the e2e tests." +
                logTail(env["MESH_ISTIOCTL_BUILD_LOG"]),
        );
    }
    return bin;
}

/** One message of `istioctl analyze -o json`. */
export interface AnalyzerMessage {
    code: string;
    level: string;
    message: string;
    /** e.g. "VirtualService ns/name". */
    origin?: string;
    documentationUrl?: string;
}

export interface AnalyzeResult {
    messages: AnalyzerMessage[];
    exitCode: number;
    stderr: string;
    /** The command line, for failure messages. */
    command: string;
}

/** `<bin> analyze --use-kube=true --kubeconfig KUBECONFIG -n NAMESPACE -o json`, parsed. */
export function analyzeLive(bin: string, kubeconfig: string, namespace: string): Promise<AnalyzeResult> {
    const args = ["analyze", "--use-kube=true", "--kubeconfig", kubeconfig, "-n", namespace, "-o", "json"];
    const command = [bin, ...args].join(" ");
    return new Promise((resolve, reject) => {
        execFile(bin, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
            const code = (err as { code?: unknown } | null)?.code;
            const exitCode = err === null ? 0 : typeof code === "number" ? code : -1;
            if (exitCode === -1) {
                reject(new Error(`${command} did not run: ${err?.message ?? ""}\n${stderr}`));
                return;
            }
            const text = stdout.trim();
            try {
                // An empty namespace prints "[]"; a clean one may print nothing.
                const messages = text === "" ? [] : (JSON.parse(text) as AnalyzerMessage[]);
                resolve({ messages, exitCode, stderr, command });
            } catch {
                reject(new Error(`${command}: output is not JSON (exit ${exitCode}):\n${stdout}\n${stderr}`));
            }
        });
    });
}

/** A self-signed certificate and key for `host`, PEM (openssl, which scripts/local-cluster.sh needs too). */
function selfSignedPem(host: string): { crt: string; key: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-tls-"));
    try {
        execFileSync(
            "openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${host}`, "-addext", `subjectAltName=DNS:${host}`,
                "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "crt.pem")],
            { stdio: ["ignore", "ignore", "pipe"] },
        );
        return { crt: fs.readFileSync(path.join(dir, "crt.pem"), "utf8"), key: fs.readFileSync(path.join(dir, "key.pem"), "utf8") };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const ISTIO_SYSTEM = "istio-system";
const PROXY = { name: "istio-proxy", image: "docker.io/istio/proxyv2:1.30.3" };
const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

/** Istio's default gateway deployment: a pod labelled `istio: <kind>gateway` and its Service on 80/443. */
function gatewayWorkload(kind: "ingress" | "egress"): KubeObject[] {
    const labels = { istio: `${kind}gateway`, app: `istio-${kind}gateway` };
    const name = `istio-${kind}gateway`;
    return [
        {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: `${name}-e2e`, namespace: ISTIO_SYSTEM, labels },
            spec: { containers: [{ ...PROXY, ports: [{ containerPort: 8080 }, { containerPort: 8443 }] }] },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name, namespace: ISTIO_SYSTEM, labels },
            spec: {
                selector: { istio: `${kind}gateway` },
                ports: [
                    { name: "http2", port: 80, targetPort: 8080 },
                    { name: "https", port: 443, targetPort: 8443 },
                ],
            },
        },
    ];
}

/** The pod a Deployment's template would start, as the sidecar injector leaves it. */
function podOf(deployment: KubeObject): KubeObject {
    const template = (deployment.spec?.["template"] ?? {}) as { metadata?: { labels?: Record<string, string> }; spec?: { containers?: unknown[] } };
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
            name: `${deployment.metadata.name}-e2e`,
            namespace: deployment.metadata.namespace ?? "",
            labels: template.metadata?.labels ?? {},
            annotations: { "sidecar.istio.io/status": JSON.stringify({ containers: ["istio-proxy"] }) },
        },
        spec: { ...(template.spec ?? {}), containers: [...(template.spec?.containers ?? []), PROXY] },
    };
}

export interface MeshEnvironment {
    /** Deletes what was created (the istio-system namespace stays: without a namespace controller it never goes). */
    remove(): Promise<void>;
}

/**
 * Creates the environment a cluster with Istio would have for `deployments` and the ingress TLS secrets named by
 * `credentialNames` (see the file comment). Objects that already exist are kept and not removed later.
 */
export async function installMeshEnvironment(kc: k8s.KubeConfig, deployments: readonly KubeObject[], credentialNames: readonly string[]): Promise<MeshEnvironment> {
    await ensureCreated(kc, { apiVersion: "v1", kind: "Namespace", metadata: { name: ISTIO_SYSTEM } });
    const objects: KubeObject[] = [...gatewayWorkload("ingress"), ...gatewayWorkload("egress"), ...deployments.map(podOf)];
    for (const name of credentialNames) {
        const { crt, key } = selfSignedPem(name);
        const secret: KubeObject & { type: string; data: Record<string, string> } = {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name, namespace: ISTIO_SYSTEM },
            type: "kubernetes.io/tls",
            data: { "tls.crt": b64(crt), "tls.key": b64(key) },
        };
        objects.push(secret);
    }
    const created: KubeObject[] = [];
    const remove = async (): Promise<void> => {
        for (const o of created.reverse()) await deleteRaw(kc, o);
    };
    try {
        for (const o of objects) {
            if (await ensureCreated(kc, o)) created.push(o);
        }
    } catch (err) {
        await remove();
        throw err;
    }
    return { remove };
}
