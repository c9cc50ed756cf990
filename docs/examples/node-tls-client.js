// A Node.js client of an ensemble made with `kubectl zk create --tls`, using the
// client certificate from `kubectl zk certificate NAME --user U -o pem > client.pem`.
// node-zookeeper-client speaks plain TCP, so a loopback listener wraps each of its
// connections in TLS: the server is verified against the ensemble's CA and its name.
//
//   node node-tls-client.js client.pem zk.NAMESPACE.svc 2281 [host]
//
// host defaults to the server name (in the cluster); through `kubectl port-forward
// svc/zk 2281` pass 127.0.0.1 and keep the Service's name as the server name.
import {readFileSync} from 'node:fs';
import {createServer, connect as netConnect} from 'node:net';
import {connect as tlsConnect} from 'node:tls';
import zookeeper from 'node-zookeeper-client';

const [pemFile, serverName, port, host = serverName] = process.argv.slice(2);
const pem = readFileSync(pemFile, 'utf8');
const blocks = pem.match(/-----BEGIN [^-]+-----[^-]+-----END [^-]+-----\n/g);
const [key, cert, ca] = [blocks[0], blocks[1], blocks.slice(2).join('')]; // as `-o pem` prints them

const proxy = createServer((local) => {
  const secure = tlsConnect({socket: netConnect(Number(port), host), servername: serverName, ca, cert, key});
  secure.on('error', (e) => {
    console.error(`tls: ${e.message}`);
    local.destroy();
  });
  local.on('error', () => secure.destroy());
  local.pipe(secure).pipe(local);
});
proxy.listen(0, '127.0.0.1', () => {
  const client = zookeeper.createClient(`127.0.0.1:${proxy.address().port}`);
  client.once('connected', () => {
    client.create('/from-node', Buffer.from('hello over TLS'), (err) => {
      if (err && err.getCode() !== zookeeper.Exception.NODE_EXISTS) throw err;
      client.getData('/from-node', (err2, data) => {
        if (err2) throw err2;
        console.log(data.toString());
        client.close();
        proxy.close();
      });
    });
  });
  client.connect();
});
