#!/usr/bin/env bash
# Brings up a real single-node Kubernetes on this machine (root required):
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd
# (+runc, CNI bridge), kubelet, kube-proxy (iptables), CoreDNS and
# local-path-provisioner, all as host processes started from here.
# Idempotent: components already running are left alone; cached builds and
# certificates are reused. Reports each step on stderr; on failure prints the
# failing component's log tail. Writes $STATE/env for the e2e suite.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T_START=$SECONDS
step() { log "==> $*"; }

[[ $EUID -eq 0 ]] || die "up.sh must run as root (it starts kubelet, containerd and sets up networking)"
cluster_lock
mkdir -p "$STATE" "$LOGS" "$PIDS" "$PKI"
chmod 0700 "$STATE"
rm -f "$STATE/up-failed"

# ------------------------------------------------------------ prerequisites
APT_PKGS="containerd runc containernetworking-plugins iptables conntrack iproute2 util-linux
  mount tar openssl curl ca-certificates gcc libc6-dev binutils busybox-static debootstrap"
step "checking apt prerequisites"
missing=()
for p in $APT_PKGS; do
  [[ $(dpkg-query -W -f '${Status}' "$p" 2>/dev/null) == *'install ok installed'* ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_install() { apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold install -y --no-install-recommends "${missing[@]}"; }
  if ! apt_install >"$LOGS/apt.log" 2>&1; then
    apt-get -o DPkg::Lock::Timeout=600 update >>"$LOGS/apt.log" 2>&1 || true
    apt_install >>"$LOGS/apt.log" 2>&1 || die "apt-get install ${missing[*]} failed" apt
  fi
fi
[[ -x /usr/local/go/bin/go ]] || command -v go >/dev/null || die "Go toolchain not found (need go >= 1.25)"

# ------------------------------------------------------------------- build
step "building binaries and images (cached under $CACHE_DIR)"
bash "$CLUSTER_DIR/build.sh" all

# -------------------------------------------------------------- host setup
step "host networking (bridge $BRIDGE $HOST_IP, service route $SVC_CIDR)"
if [[ ! -f $STATE/host-before ]]; then
  # What existed before the first up.sh, so down.sh leaves the machine as found.
  {
    for d in $KZK_FOREIGN_DIRS; do [[ -e $d ]] && echo "dir $d"; done
    for s in $KZK_SYSCTLS; do v=$(sysctl -n "$s" 2>/dev/null) && echo "sysctl $s $v"; done
  } >"$STATE/host-before.tmp"
  mv "$STATE/host-before.tmp" "$STATE/host-before"
fi
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  ip link add "$BRIDGE" type bridge
fi
[[ $(ip addr show dev "$BRIDGE") == *"inet $HOST_IP/"* ]] || ip addr add "$HOST_IP/16" dev "$BRIDGE"
# A bridge with no MAC of its own takes the lowest MAC among its ports. When the
# pod owning that veth is deleted, the bridge's MAC changes and every other pod's
# ARP entry for the gateway (the node: DNS, API server) points nowhere until it
# goes stale, 15-45 s. ZooKeeper resolves peer names while holding its QuorumPeer
# lock, so that window stalled whole members (failover bench; thread dumps showed
# FastLeaderElection's WorkerReceiver in getaddrinfo for 30 s). A MAC that is set
# (addr_assign_type 3) never follows the ports.
if [[ $(<"/sys/class/net/$BRIDGE/addr_assign_type") != 3 ]]; then
  ip link set dev "$BRIDGE" address "$BRIDGE_MAC"
fi
ip link set "$BRIDGE" up
# ClusterIPs are only DNAT targets; route them to the bridge so a packet that
# kube-proxy does not translate dies here instead of leaving the machine.
ip route replace "$SVC_CIDR" dev "$BRIDGE" src "$HOST_IP"

# --------------------------------------------------------------------- PKI
step "certificates and kubeconfigs ($PKI)"
SANS="DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN,DNS:localhost,IP:127.0.0.1,IP:$HOST_IP,IP:$SVC_KUBERNETES_IP"
gen_cert() { # NAME SUBJECT EKU [SANS]
  local n=$1 subj=$2 eku=$3 san=${4:-}
  [[ -f $PKI/$n.crt && -f $PKI/$n.key ]] && return 0
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$PKI/$n.key" -out "$PKI/$n.csr" -subj "$subj" 2>/dev/null
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -n $san ]] && echo "subjectAltName=$san"
  } >"$PKI/$n.ext"
  openssl x509 -req -in "$PKI/$n.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$PKI/$n.ext" -out "$PKI/$n.crt" 2>/dev/null
  rm -f "$PKI/$n.csr" "$PKI/$n.ext"
}
if [[ ! -f $PKI/ca.crt ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -subj "/CN=kzk-cluster-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
fi
[[ -f $PKI/sa.key ]] || { openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null && openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null; }
gen_cert apiserver "/CN=kube-apiserver" serverAuth "$SANS"
gen_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
gen_cert admin "/O=system:masters/CN=kubernetes-admin" clientAuth
gen_cert controller-manager "/CN=system:kube-controller-manager" clientAuth
gen_cert scheduler "/CN=system:kube-scheduler" clientAuth
gen_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
gen_cert kubelet-server "/CN=$NODE_NAME" serverAuth "DNS:$NODE_NAME,IP:$HOST_IP,IP:127.0.0.1"
gen_cert kube-proxy "/CN=system:kube-proxy" clientAuth
chmod 0600 "$PKI"/*.key

mk_kubeconfig() { # FILE USER CERTNAME
  local b64="base64 -w0"
  (umask 077; write_cfg "$1" "${4:-}") <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kzk
  cluster:
    server: https://$HOST_IP:$APISERVER_PORT
    certificate-authority-data: $($b64 <"$PKI/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $($b64 <"$PKI/$3.crt")
    client-key-data: $($b64 <"$PKI/$3.key")
contexts:
- name: $2@kzk
  context: {cluster: kzk, user: $2}
current-context: $2@kzk
EOF
  chmod 0600 "$1"
}
mk_kubeconfig "$KUBECONFIG_ADMIN" kubernetes-admin admin
mk_kubeconfig "$STATE/controller-manager.kubeconfig" system:kube-controller-manager controller-manager kube-controller-manager
mk_kubeconfig "$STATE/scheduler.kubeconfig" system:kube-scheduler scheduler kube-scheduler
mk_kubeconfig "$STATE/kubelet.kubeconfig" "system:node:$NODE_NAME" kubelet kubelet
mk_kubeconfig "$STATE/kube-proxy.kubeconfig" system:kube-proxy kube-proxy kube-proxy

# -------------------------------------------------------------------- etcd
step "etcd"
mkdir -p "$STATE/etcd"
chmod 0700 "$STATE/etcd"
# --unsafe-no-fsync: a throw-away test cluster; fsync latency on the VM's
# disk would otherwise dominate every API write.
start etcd etcd --name kzk --data-dir "$STATE/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "kzk=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
  --unsafe-no-fsync --quota-backend-bytes=2147483648 --log-level=warn
etcd_healthy() { [[ $(curl -fsS -m 3 "http://127.0.0.1:$ETCD_CLIENT_PORT/health") == *'"health":"true"'* ]]; }
wait_for "etcd health" 60 etcd etcd_healthy

# ---------------------------------------------------------- control plane
step "kube-apiserver"
start kube-apiserver kube-apiserver \
  --advertise-address="$HOST_IP" --bind-address="$HOST_IP" --secure-port="$APISERVER_PORT" \
  --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --service-cluster-ip-range="$SVC_CIDR" \
  --client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP \
  --service-account-issuer="https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --allow-privileged=true --enable-priority-and-fairness=false --profiling=false \
  --endpoint-reconciler-type=lease --v=1
apiserver_ready() { kc --request-timeout=5s get --raw /readyz; }
wait_for "kube-apiserver /readyz" 120 kube-apiserver apiserver_ready

step "kube-controller-manager and kube-scheduler"
CONTROLLERS=serviceaccount-token-controller,serviceaccount-controller,namespace-controller
CONTROLLERS+=,garbage-collector-controller,deployment-controller,replicaset-controller
CONTROLLERS+=,statefulset-controller,daemonset-controller,job-controller,cronjob-controller
CONTROLLERS+=,disruption-controller,endpoints-controller,endpointslice-controller
CONTROLLERS+=,endpointslice-mirroring-controller,replicationcontroller-controller
CONTROLLERS+=,pod-garbage-collector-controller,node-lifecycle-controller,taint-eviction-controller
CONTROLLERS+=,persistentvolume-binder-controller,persistentvolume-attach-detach-controller
CONTROLLERS+=,persistentvolume-expander-controller,persistentvolumeclaim-protection-controller
CONTROLLERS+=,persistentvolume-protection-controller,ttl-after-finished-controller
CONTROLLERS+=,root-ca-certificate-publisher-controller,clusterrole-aggregation-controller
CONTROLLERS+=,ephemeral-volume-controller,resourcequota-controller
start kube-controller-manager kube-controller-manager \
  --kubeconfig="$STATE/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$STATE/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$STATE/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --cluster-name=kzk --controllers="$CONTROLLERS" --profiling=false --v=1
start kube-scheduler kube-scheduler \
  --kubeconfig="$STATE/scheduler.kubeconfig" \
  --authentication-kubeconfig="$STATE/scheduler.kubeconfig" \
  --authorization-kubeconfig="$STATE/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --leader-elect=false --profiling=false --v=1

# --------------------------------------------------------------- containerd
step "containerd (+runc, CNI bridge)"
mkdir -p "$STATE/containerd" "$STATE/cni/net.d" "$STATE/cni/ipam"
write_cfg "$STATE/cni/net.d/10-kzk.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "kzk",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$STATE/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "rangeStart": "$POD_RANGE_START", "gateway": "$HOST_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
write_cfg "$STATE/containerd/config.toml" containerd <<EOF
version = 2
root = "$STATE/containerd/root"
state = "$STATE/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[debug]
  level = "info"
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$PAUSE_IMAGE"
    # No CAP_SYS_RESOURCE here: without this every RunPodSandbox fails with
    # "can't get final child's PID from pipe: EOF".
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          BinaryName = "/usr/sbin/runc"
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$STATE/cni/net.d"
      max_conf_num = 1
  [plugins."io.containerd.internal.v1.opt"]
    path = "$STATE/containerd/opt"
EOF
start containerd containerd --config "$STATE/containerd/config.toml"
printf 'runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 30\n' "$CONTAINERD_SOCK" "$CONTAINERD_SOCK" |
  write_cfg "$STATE/crictl.yaml"
CTR=(ctr --address "$CONTAINERD_SOCK" -n k8s.io)
wait_for "containerd socket" 60 containerd "${CTR[@]}" version

step "importing images into containerd (k8s.io namespace)"
have_images=$("${CTR[@]}" images ls -q 2>/dev/null || true)
for img in "pause:$PAUSE_IMAGE" "busybox:$BUSYBOX_IMAGE" "zookeeper:$ZK_IMAGE"; do
  f=${img%%:*} ref=${img#*:}
  if grep -qxF "$ref" <<<"$have_images"; then
    log "image $ref: present"
  else
    t0=$SECONDS
    "${CTR[@]}" images import "$IMAGES/$f.tar" >>"$LOGS/images.log" 2>&1 ||
      die "ctr images import $IMAGES/$f.tar failed" images containerd
    # Not `ctr … | grep -q`: grep -q exits at the first match, ctr (one write
    # per line) then dies of SIGPIPE and pipefail fails the step (it did, in CI).
    grep -qxF "$ref" <<<"$("${CTR[@]}" images ls -q)" || die "image $ref missing after import of $IMAGES/$f.tar" images
    log "image $ref: imported in $((SECONDS - t0))s"
  fi
done

# ------------------------------------------------------------------ kubelet
step "kubelet"
mkdir -p "$STATE/kubelet" "$STATE/pod-logs"
echo "nameserver $DNS_IP" | write_cfg "$STATE/resolv.conf" kubelet
write_cfg "$STATE/kubelet-config.yaml" kubelet <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $HOST_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/kubelet-server.crt
tlsPrivateKeyFile: $PKI/kubelet-server.key
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
imageServiceEndpoint: unix://$CONTAINERD_SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
oomScoreAdj: 0
failSwapOn: false
clusterDNS: [$DNS_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $STATE/resolv.conf
podLogsDir: $STATE/pod-logs
staticPodPath: ""
# Images cannot be pulled again here: never garbage-collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
serializeImagePulls: false
rotateCertificates: false
serverTLSBootstrap: false
EOF
start kubelet kubelet --config="$STATE/kubelet-config.yaml" --kubeconfig="$STATE/kubelet.kubeconfig" \
  --hostname-override="$NODE_NAME" --node-ip="$HOST_IP" --root-dir="$STATE/kubelet" --v=1
node_registered() { kc --request-timeout=5s get node "$NODE_NAME"; }
wait_for "node $NODE_NAME to register" 120 kubelet node_registered

# --------------------------------------------------------------- kube-proxy
step "kube-proxy (iptables mode)"
write_cfg "$STATE/kube-proxy-config.yaml" kube-proxy <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $STATE/kube-proxy.kubeconfig}
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["$HOST_IP/32"]
oomScoreAdj: 0
# Zeros leave the machine's conntrack settings as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false, masqueradeAll: false, syncPeriod: 30s, minSyncPeriod: 1s}
EOF
start kube-proxy kube-proxy --config="$STATE/kube-proxy-config.yaml" --v=1
proxy_healthy() { curl -fsS -m 3 http://127.0.0.1:10256/healthz; }
wait_for "kube-proxy healthz" 60 kube-proxy proxy_healthy

# ------------------------------------------------------------------ CoreDNS
step "CoreDNS on $DNS_IP:53"
write_cfg "$STATE/Corefile" coredns <<EOF
$CLUSTER_DOMAIN:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $DNS_IP
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $KUBECONFIG_ADMIN
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    cache 5
}
.:53 {
    bind $DNS_IP
    errors
    whoami
}
EOF
start coredns coredns -conf "$STATE/Corefile"
dns_ready() { curl -fsS -m 3 http://127.0.0.1:18181/ready; }
wait_for "CoreDNS ready" 60 coredns dns_ready

# ------------------------------------------------------------------ storage
step "local-path-provisioner and default StorageClass"
mkdir -p "$STATE/local-path"
kc apply -f - >>"$LOGS/bootstrap.log" 2>&1 <<EOF || die "kubectl apply of storage objects failed" bootstrap kube-apiserver
apiVersion: v1
kind: Namespace
metadata: {name: local-path-storage}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: local-path-provisioner, namespace: local-path-storage}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-path
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
EOF
write_cfg "$STATE/local-path-config.json" local-path-provisioner <<EOF
{
  "nodePathMap": [{"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": ["$STATE/local-path"]}],
  "setupCommand": "/kzk/setup",
  "teardownCommand": "/kzk/teardown"
}
EOF
write_cfg "$STATE/local-path-helper-pod.yaml" local-path-provisioner <<EOF
apiVersion: v1
kind: Pod
metadata: {name: helper-pod}
spec:
  containers:
  - name: helper-pod
    image: $BUSYBOX_IMAGE
    imagePullPolicy: Never
EOF
start local-path-provisioner local-path-provisioner --debug start \
  --kubeconfig "$KUBECONFIG_ADMIN" --config "$STATE/local-path-config.json" \
  --helper-pod-file "$STATE/local-path-helper-pod.yaml" --helper-image "$BUSYBOX_IMAGE" \
  --namespace local-path-storage --service-account-name local-path-provisioner \
  --provisioner-name rancher.io/local-path

# -------------------------------------------------------------------- ready
step "waiting for node $NODE_NAME Ready"
node_ready() { [[ $(kc --request-timeout=5s get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
wait_for "node $NODE_NAME Ready" 180 kubelet node_ready
default_sa() { kc --request-timeout=5s -n default get serviceaccount default; }
wait_for "default ServiceAccount" 60 kube-controller-manager default_sa
sleep 1
running local-path-provisioner || die "local-path-provisioner exited" local-path-provisioner

cat >"$ENV_FILE.tmp" <<EOF
# Written by test/cluster/up.sh. Source it: . $ENV_FILE
export KUBECONFIG=$KUBECONFIG_ADMIN
export PATH=$BIN:\$PATH
export KZK_ZK_IMAGE=$ZK_IMAGE
export KZK_ZK_IMAGE_38=$ZK_IMAGE_38
export KZK_CLUSTER_LOGS=$LOGS
export KZK_CLUSTER_STATE=$STATE
export KZK_BUSYBOX_IMAGE=$BUSYBOX_IMAGE
export KZK_STORAGE_CLASS=local-path
export CONTAINER_RUNTIME_ENDPOINT=unix://$CONTAINERD_SOCK
export CRI_CONFIG_FILE=$STATE/crictl.yaml
EOF
mv "$ENV_FILE.tmp" "$ENV_FILE"
echo "$((SECONDS - T_START))" >"$STATE/last-up-seconds"
log "cluster up in $((SECONDS - T_START))s: node $NODE_NAME Ready, DNS $DNS_IP, StorageClass local-path"
echo "env file:   $ENV_FILE"
echo "KUBECONFIG: $KUBECONFIG_ADMIN"
