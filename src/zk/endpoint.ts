/** A TCP endpoint: in production a local port-forward to one pod, in tests a loopback server. */
export interface Endpoint {
  host: string;
  port: number;
}

/** "host:port" ("[v6]:port" for IPv6 literals). */
export function formatEndpoint(ep: Endpoint): string {
  return ep.host.includes(':') && !ep.host.startsWith('[') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
}

/** Parse "host:port" or "[v6]:port". Throws TypeError on malformed input. */
export function parseEndpoint(s: string): Endpoint {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m || m[1] === undefined || m[2] === undefined) throw new TypeError(`not a host:port endpoint: ${JSON.stringify(s)}`);
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`port out of range in ${JSON.stringify(s)}`);
  return {host: m[1], port};
}

/** A ZooKeeper connect string: "h1:p1,h2:p2". */
export function connectString(endpoints: readonly Endpoint[]): string {
  return endpoints.map(formatEndpoint).join(',');
}
