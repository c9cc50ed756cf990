#!/usr/bin/env bash
# Brings up a real Kubernetes on this machine (root required): etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, CoreDNS and
# local-path-provisioner on the host, and KZK_NODES (default 3) nodes, each a
# network namespace with its own containerd (+runc, CNI bridge), kubelet,
# kube-proxy (iptables) and kube-router (NetworkPolicy only), all as
# processes started from here.
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
if [[ -f $STATE/node-count && $(<"$STATE/node-count") != "$KZK_NODES" ]]; then
  die "a cluster with $(<"$STATE/node-count") node(s) exists; KZK_NODES=$KZK_NODES needs \`bash $CLUSTER_DIR/down.sh\` first"
fi
if [[ -f $PIDS/kubelet.pid || -d $STATE/containerd ]]; then
  die "a cluster of the older single-node layout exists (kubelet on the host): run \`bash $CLUSTER_DIR/down.sh\` first"
fi
mkdir -p "$STATE" "$LOGS" "$PIDS" "$PKI" "$NODES_DIR"
echo "$KZK_NODES" >"$STATE/node-count"
NODES=$(seq 1 "$KZK_NODES")
chmod 0700 "$STATE"
rm -f "$STATE/up-failed"

# ------------------------------------------------------------ prerequisites
APT_PKGS="containerd runc containernetworking-plugins iptables conntrack iproute2 util-linux
  mount tar openssl curl ca-certificates gcc libc6-dev binutils busybox-static debootstrap ipset"
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
step "host networking (bridge $BRIDGE $HOST_IP, $KZK_NODES node namespace(s), services $SVC_CIDR unreachable on the host)"
if [[ ! -f $STATE/host-before ]]; then
  # What existed before the first up.sh, so down.sh leaves the machine as found.
  {
    for d in $KZK_FOREIGN_DIRS; do [[ -e $d ]] && echo "dir $d"; done
    for s in $KZK_SYSCTLS; do v=$(sysctl -n "$s" 2>/dev/null) && echo "sysctl $s $v"; done
  } >"$STATE/host-before.tmp"
  mv "$STATE/host-before.tmp" "$STATE/host-before"
fi
sysctl -qw net.ipv4.ip_forward=1
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  ip link add "$BRIDGE" type bridge
fi
[[ $(ip addr show dev "$BRIDGE") == *"inet $HOST_IP/"* ]] || ip addr add "$HOST_IP/$NODE_NET_PREFIX" dev "$BRIDGE"
# A bridge with no MAC of its own takes the lowest MAC among its ports; when
# that port goes away the bridge's MAC changes and every ARP entry for it points
# nowhere until it goes stale, 15-45 s. ZooKeeper resolves peer names while
# holding its QuorumPeer lock, so that window stalled whole members (failover
# bench; thread dumps showed FastLeaderElection's WorkerReceiver in getaddrinfo
# for 30 s). A MAC that is set (addr_assign_type 3) never follows the ports.
# The same holds for each node's CNI bridge below.
if [[ $(<"/sys/class/net/$BRIDGE/addr_assign_type") != 3 ]]; then
  ip link set dev "$BRIDGE" address "$BRIDGE_MAC"
fi
ip link set "$BRIDGE" up
# ClusterIPs are only DNAT targets (kube-proxy in each node): a packet that
# reaches the host untranslated is refused here (ICMP unreachable) instead of
# leaving the machine.
ip route replace unreachable "$SVC_CIDR"

# setup_node I: network namespace kzk-node-I, veth kzkvI <-> eth0 (node IP),
# CNI bridge kzkcni0 (pod CIDR gateway), routes: the node network, the other
# nodes' pod CIDRs via their node IPs, the rest of 100.64.0.0/10 via the host.
# No default route: pods and nodes reach only this machine's cluster addresses.
setup_node() {
  local i=$1 n ns ip veth gw j
  n=$(node_name "$i") ns=$n ip=$(node_ip "$i") veth=$(node_veth "$i") gw=$(node_gw "$i")
  [[ -e /run/netns/$ns ]] || ip netns add "$ns"
  if ! ip link show "$veth" >/dev/null 2>&1; then
    ip link add "$veth" type veth peer name eth0 netns "$ns"
  fi
  ip link set "$veth" master "$BRIDGE" up
  ip -n "$ns" link set lo up
  [[ $(ip -n "$ns" addr show dev eth0) == *"inet $ip/"* ]] || ip -n "$ns" addr add "$ip/$NODE_NET_PREFIX" dev eth0
  ip -n "$ns" link set eth0 up
  if ! ip -n "$ns" link show "$CNI_BRIDGE" >/dev/null 2>&1; then
    ip -n "$ns" link add "$CNI_BRIDGE" type bridge
    ip -n "$ns" link set dev "$CNI_BRIDGE" address "02:6b:7a:63:6e:3$i"
  fi
  [[ $(ip -n "$ns" addr show dev "$CNI_BRIDGE") == *"inet $gw/"* ]] || ip -n "$ns" addr add "$gw/24" dev "$CNI_BRIDGE"
  ip -n "$ns" link set "$CNI_BRIDGE" up
  for j in $NODES; do
    [[ $j == "$i" ]] || ip -n "$ns" route replace "$(node_pod_cidr "$j")" via "$(node_ip "$j")" dev eth0
  done
  ip -n "$ns" route replace "$OUR_NET" via "$HOST_IP" dev eth0
  # Per network namespace: forwarding (pods <-> eth0) and iptables on bridged
  # pod-to-pod traffic (kube-proxy, and kube-router's physdev rules).
  in_node "$i" sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 \
    net.ipv4.conf.all.send_redirects=0
  ip route replace "$(node_pod_cidr "$i")" via "$ip" dev "$BRIDGE"
}
for i in $NODES; do setup_node "$i"; done

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
for i in $NODES; do
  n=$(node_name "$i")
  gen_cert "kubelet-$n" "/O=system:nodes/CN=system:node:$n" clientAuth
  gen_cert "kubelet-server-$n" "/CN=$n" serverAuth "DNS:$n,IP:$(node_ip "$i"),IP:127.0.0.1"
done
gen_cert kube-proxy "/CN=system:kube-proxy" clientAuth
gen_cert kube-router "/CN=system:kube-router" clientAuth
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
for i in $NODES; do
  n=$(node_name "$i")
  mk_kubeconfig "$(node_dir "$i")/kubelet.kubeconfig" "system:node:$n" "kubelet-$n" "kubelet-$n"
done
mk_kubeconfig "$STATE/kube-proxy.kubeconfig" system:kube-proxy kube-proxy
mk_kubeconfig "$STATE/kube-router.kubeconfig" system:kube-router kube-router

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
# One containerd per node (own socket, root, state, CNI config and IPAM),
# started in the node's network namespace: the CNI plugins it runs put pod
# veths on that node's bridge, and its stream server (127.0.0.1, random port)
# is the node's loopback, where that node's kubelet reaches it.
step "containerd (+runc, CNI bridge) on $KZK_NODES node(s)"
start_containerd() { # I
  local i=$1 n d
  n=$(node_name "$i") d=$(node_dir "$i")
  mkdir -p "$d/containerd" "$d/cni/net.d" "$d/cni/ipam"
  write_cfg "$d/cni/net.d/10-kzk.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "kzk",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$d/cni/ipam",
        "ranges": [[{"subnet": "$(node_pod_cidr "$i")", "gateway": "$(node_gw "$i")"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  write_cfg "$d/containerd/config.toml" "containerd-$n" <<EOF
version = 2
root = "$d/containerd/root"
state = "$d/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$d/containerd/containerd.sock"
[ttrpc]
  address = "$d/containerd/containerd.sock.ttrpc"
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
      conf_dir = "$d/cni/net.d"
      max_conf_num = 1
  [plugins."io.containerd.internal.v1.opt"]
    path = "$d/containerd/opt"
EOF
  START_NETNS=$n start "containerd-$n" containerd --config "$d/containerd/config.toml"
  printf 'runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 30\n' "$(node_sock "$i")" "$(node_sock "$i")" |
    write_cfg "$d/crictl.yaml"
}
for i in $NODES; do start_containerd "$i"; done
for i in $NODES; do
  n=$(node_name "$i")
  wait_for "containerd CRI of $n" 60 "containerd-$n" cri_ready "$i"
done

step "importing images into each node's containerd (k8s.io namespace)"
# import_images I: what is missing, one node; the nodes import in parallel.
import_images() {
  local i=$1 n ctr have img f ref t0
  n=$(node_name "$i")
  ctr=(ctr --address "$(node_sock "$i")" -n k8s.io)
  have=$("${ctr[@]}" images ls -q 2>/dev/null || true)
  for img in "pause:$PAUSE_IMAGE" "busybox:$BUSYBOX_IMAGE" "zookeeper:$ZK_IMAGE"; do
    f=${img%%:*} ref=${img#*:}
    if grep -qxF "$ref" <<<"$have"; then
      log "$n: image $ref present"
      continue
    fi
    t0=$SECONDS
    if ! "${ctr[@]}" images import "$IMAGES/$f.tar" >>"$LOGS/images-$n.log" 2>&1; then
      log "$n: ctr images import $IMAGES/$f.tar failed"
      return 1
    fi
    # Not `ctr … | grep -q`: grep -q exits at the first match, ctr (one write
    # per line) then dies of SIGPIPE and pipefail fails the step (it did, in CI).
    grep -qxF "$ref" <<<"$("${ctr[@]}" images ls -q)" || { log "$n: image $ref missing after import"; return 1; }
    log "$n: image $ref imported in $((SECONDS - t0))s"
  done
}
import_pids=()
for i in $NODES; do
  import_images "$i" &
  import_pids+=("$!")
done
for k in "${!import_pids[@]}"; do
  n=$(node_name "$((k + 1))")
  wait "${import_pids[$k]}" || die "importing images into $n failed" "images-$n" "containerd-$n"
done

# ------------------------------------------------------------------ kubelet
# A cgroup root per node (/kzk-node-I, made in every v1 hierarchy): each
# kubelet owns <root>/kubepods and sees only its own pods there.
step "kubelet on $KZK_NODES node(s)"
make_cgroup_root() { # NAME
  local h
  for h in /sys/fs/cgroup/*/; do
    [[ -f ${h}cgroup.procs ]] || continue
    mkdir -p "$h$1"
    # cgroup v1 cpuset: a new group starts with no CPUs and no memory nodes.
    if [[ -f ${h}cpuset.cpus && -z $(tr -d '\n' <"$h$1/cpuset.cpus") ]]; then
      cat "${h}cpuset.cpus" >"$h$1/cpuset.cpus"
      cat "${h}cpuset.mems" >"$h$1/cpuset.mems"
    fi
  done
}
echo "nameserver $DNS_IP" | write_cfg "$STATE/resolv.conf"
start_kubelet() { # I
  local i=$1 n d ip
  n=$(node_name "$i") d=$(node_dir "$i") ip=$(node_ip "$i")
  mkdir -p "$d/kubelet" "$d/pod-logs"
  make_cgroup_root "$n"
  write_cfg "$d/kubelet-config.yaml" "kubelet-$n" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/kubelet-server-$n.crt
tlsPrivateKeyFile: $PKI/kubelet-server-$n.key
containerRuntimeEndpoint: unix://$(node_sock "$i")
imageServiceEndpoint: unix://$(node_sock "$i")
cgroupDriver: cgroupfs
cgroupRoot: /$n
failCgroupV1: false
oomScoreAdj: 0
failSwapOn: false
clusterDNS: [$DNS_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $STATE/resolv.conf
podLogsDir: $d/pod-logs
staticPodPath: ""
# Images cannot be pulled again here: never garbage-collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
serializeImagePulls: false
rotateCertificates: false
serverTLSBootstrap: false
EOF
  START_NETNS=$n start "kubelet-$n" kubelet --config="$d/kubelet-config.yaml" --kubeconfig="$d/kubelet.kubeconfig" \
    --hostname-override="$n" --node-ip="$ip" --root-dir="$d/kubelet" \
    --node-labels="topology.kubernetes.io/zone=$(node_zone "$i")" --v=1
}
for i in $NODES; do start_kubelet "$i"; done
node_registered() { kc --request-timeout=5s get node "$1"; }
for i in $NODES; do
  n=$(node_name "$i")
  wait_for "node $n to register" 120 "kubelet-$n" node_registered "$n"
done

# --------------------------------------------------------------- kube-proxy
step "kube-proxy (iptables mode) on $KZK_NODES node(s)"
start_kube_proxy() { # I
  local i=$1 n d
  n=$(node_name "$i") d=$(node_dir "$i")
  write_cfg "$d/kube-proxy-config.yaml" "kube-proxy-$n" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $STATE/kube-proxy.kubeconfig}
mode: iptables
hostnameOverride: $n
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["$(node_ip "$i")/32"]
oomScoreAdj: 0
# Zeros leave the machine's conntrack settings as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false, masqueradeAll: false, syncPeriod: 30s, minSyncPeriod: 1s}
EOF
  START_NETNS=$n start "kube-proxy-$n" kube-proxy --config="$d/kube-proxy-config.yaml" --v=1
}
for i in $NODES; do start_kube_proxy "$i"; done
proxy_healthy() { in_node "$1" curl -fsS -m 3 http://127.0.0.1:10256/healthz; }
for i in $NODES; do
  n=$(node_name "$i")
  wait_for "kube-proxy healthz on $n" 60 "kube-proxy-$n" proxy_healthy "$i"
done

# ------------------------------------------------------------- kube-router
# Only the NetworkPolicy controller (iptables + ipset in the node's network
# namespace): routes are static (setup_node), kube-proxy serves Services.
step "kube-router NetworkPolicy controller on $KZK_NODES node(s)"
kc apply -f - >>"$LOGS/bootstrap.log" 2>&1 <<EOF || die "kubectl apply of kube-router RBAC failed" bootstrap kube-apiserver
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "kzk:kube-router"}
rules:
- apiGroups: [""]
  resources: [namespaces, pods, services, nodes, endpoints]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
- apiGroups: ["", events.k8s.io]
  resources: [events]
  verbs: [create, patch, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "kzk:kube-router"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "kzk:kube-router"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:kube-router"}]
EOF
for i in $NODES; do
  n=$(node_name "$i")
  START_NETNS=$n start "kube-router-$n" kube-router --kubeconfig="$STATE/kube-router.kubeconfig" \
    --hostname-override="$n" --run-firewall=true --run-router=false --run-service-proxy=false \
    --run-loadbalancer=false --enable-cni=false --enable-ipv4=true --enable-ipv6=false \
    --service-cluster-ip-range="$SVC_CIDR" --health-port=20244 --metrics-port=0 \
    --iptables-sync-period=5m --v=1
done
router_healthy() { in_node "$1" curl -fsS -m 3 http://127.0.0.1:20244/healthz; }
for i in $NODES; do
  n=$(node_name "$i")
  wait_for "kube-router healthz on $n" 90 "kube-router-$n" router_healthy "$i"
done

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
# Volumes live in the node's directory ($STATE/nodes/NODE/local-path), made
# by a helper pod on that node; the PV is pinned to that node.
path_map=""
for i in $NODES; do
  mkdir -p "$(node_dir "$i")/local-path"
  path_map+="{\"node\": \"$(node_name "$i")\", \"paths\": [\"$(node_dir "$i")/local-path\"]}, "
done
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
  "nodePathMap": [${path_map%, }],
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
step "waiting for $KZK_NODES node(s) Ready"
node_ready() { [[ $(kc --request-timeout=5s get node "$1" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
node_names=""
sockets=""
for i in $NODES; do
  n=$(node_name "$i")
  wait_for "node $n Ready" 180 "kubelet-$n" node_ready "$n"
  node_names+="$n "
  sockets+="$(node_sock "$i") "
done
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
export CONTAINER_RUNTIME_ENDPOINT=unix://$(node_sock 1)
export CRI_CONFIG_FILE=$(node_dir 1)/crictl.yaml
export KZK_NODES=$KZK_NODES
export KZK_NODE_NAMES="${node_names% }"
export KZK_CONTAINERD_SOCKETS="${sockets% }"
EOF
mv "$ENV_FILE.tmp" "$ENV_FILE"
echo "$((SECONDS - T_START))" >"$STATE/last-up-seconds"
log "cluster up in $((SECONDS - T_START))s: $KZK_NODES node(s) Ready (${node_names% }), DNS $DNS_IP, StorageClass local-path"
echo "env file:   $ENV_FILE"
echo "KUBECONFIG: $KUBECONFIG_ADMIN"
