/** A tiny in-process HTTP server for the webhook and Prometheus tests: answers by a handler, records requests. */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorded {
    method: string;
    url: string;
    headers: http.IncomingHttpHeaders;
    body: string;
}

export type Handler = (req: Recorded, n: number) => { status: number; body?: string; delayMs?: number } | "hang" | "destroy";

export interface TestServer {
    url: string;
    requests: Recorded[];
    close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<TestServer> {
    const requests: Recorded[] = [];
    const pending = new Set<http.ServerResponse>();
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
            const rec = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
            requests.push(rec);
            const answer = handler(rec, requests.length - 1);
            if (answer === "hang") {
                pending.add(res);
                return;
            }
            if (answer === "destroy") {
                req.socket.destroy();
                return;
            }
            const send = (): void => {
                res.writeHead(answer.status, { "content-type": "application/json" });
                res.end(answer.body ?? "");
            };
            if (answer.delayMs !== undefined) {
                pending.add(res);
                setTimeout(send, answer.delayMs);
            } else {
                send();
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    return {
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () =>
            new Promise<void>((resolve) => {
                for (const r of pending) {
                    r.destroy();
                }
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
