#!/usr/bin/env bash
# Builds (only when missing or out of date) every program and image the test
# cluster runs, into the cache:
#   $BIN/{kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,
#         kube-proxy,kubectl,etcd,coredns,crictl,local-path-provisioner,
#         kube-router,kzk-mkimage}
#   $IMAGES/{pause,busybox,zookeeper}.tar   (docker-archive tarballs;
#                                            zookeeper.tar holds every ZooKeeper line's image)
# Each artefact has a stamp (hash of its inputs); a warm run only compares
# stamps. Cold build times are appended to $CACHE_DIR/build-times.log.
# Usage: build.sh [binaries|images|zookeeper|kube-router|all]   (default: all)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$BIN" "$IMAGES" "$GO_DIR"
export GOMODCACHE=$GO_DIR/mod GOCACHE=$GO_DIR/build GOTOOLCHAIN=local \
  CGO_ENABLED=0 GOFLAGS='-mod=readonly -buildvcs=false'

record_time() { # NAME SECONDS
  printf '%s %s %ss\n' "$(date -Is)" "$1" "$2" >>"$CACHE_DIR/build-times.log"
  log "built $1 in ${2}s"
}

stamp_of() { # files/strings... -> sha256
  { for a in "$@"; do if [[ -f $a ]]; then cat "$a"; else printf '%s\n' "$a"; fi; done; go version; } |
    sha256sum | cut -c1-16
}

fresh() { # STAMPNAME STAMP OUTPUT...
  local name=$1 stamp=$2; shift 2
  [[ -f $BIN/.stamp-$name && "$(<"$BIN/.stamp-$name")" == "$stamp" ]] || return 1
  local o
  for o in "$@"; do [[ -x $o || -f $o ]] || return 1; done
}

# go_build NAME MODDIR "OUTPUTS" LDFLAGS PKG...: one `go build` invocation.
go_build() {
  local name=$1 moddir=$2 outputs=$3 ldflags=$4; shift 4
  local stamp outs=() o
  stamp=$(stamp_of "$moddir/go.mod" "$moddir/go.sum" "$moddir"/*.go "$ldflags" "$*")
  for o in $outputs; do outs+=("$BIN/$o"); done
  if fresh "$name" "$stamp" "${outs[@]}"; then
    log "$name: cached ($outputs)"
    return 0
  fi
  command -v go >/dev/null || die "go not found (expected /usr/local/go/bin/go)"
  log "$name: building $outputs (cold builds take minutes; log: $CACHE_DIR/build-$name.log)"
  local t0=$SECONDS tmp
  tmp=$(mktemp -d "$CACHE_DIR/.build-$name.XXXX")
  if ! (cd "$moddir" && go build -trimpath -ldflags="$ldflags" -o "$tmp/" "$@") >"$CACHE_DIR/build-$name.log" 2>&1; then
    tail -n 40 "$CACHE_DIR/build-$name.log" >&2
    rm -rf "$tmp"
    die "go build of $name failed"
  fi
  # `go build -o DIR/ pkg` names the binary after the package's last path
  # element; rename single-package builds whose element is not the tool name.
  if [[ $# -eq 1 && $(echo $outputs | wc -w) -eq 1 && ! -e $tmp/$outputs ]]; then
    mv "$tmp"/* "$tmp/$outputs"
  fi
  for o in $outputs; do mv -f "$tmp/$o" "$BIN/$o"; done
  rm -rf "$tmp"
  echo "$stamp" >"$BIN/.stamp-$name"
  record_time "$name" $((SECONDS - t0))
}

build_binaries() {
  local v=$KZK_K8S_VERSION ld="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=34 -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  go_build kubernetes "$CLUSTER_DIR" \
    "kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl" "$ld" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet \
    k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl
  go_build etcd "$CLUSTER_DIR/tools/etcd" etcd \
    "-s -w" go.etcd.io/etcd/server/v3
  go_build coredns "$CLUSTER_DIR/tools/coredns" coredns \
    "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$KZK_COREDNS_VERSION" .
  go_build crictl "$CLUSTER_DIR/tools/crictl" crictl \
    "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$KZK_CRICTL_VERSION" sigs.k8s.io/cri-tools/cmd/crictl
  go_build local-path-provisioner "$CLUSTER_DIR/tools/local-path-provisioner" local-path-provisioner \
    "-s -w -X main.VERSION=$KZK_LOCALPATH_VERSION" github.com/rancher/local-path-provisioner
  build_kube_router
  build_mkimage
}

# kube-router: only its NetworkPolicy controller runs (iptables + ipset), one
# per node, in the test cluster only; never shipped.
build_kube_router() {
  go_build kube-router "$CLUSTER_DIR/tools/kube-router" kube-router \
    "-s -w -X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KZK_KUBE_ROUTER_VERSION" \
    github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
}

build_mkimage() {
  go_build mkimage "$CLUSTER_DIR/tools/mkimage" kzk-mkimage "-s -w" .
}

# ---------------------------------------------------------------- images

# Bump a recipe number when you change how that image is built below (the
# stamps also cover the image's own files and the image writer).
BUSYBOX_RECIPE=1
ZK_RECIPE=2        # the distribution layer and the images
ZK_OS_RECIPE=1     # the zookeeper images' shared OS layer

image_fresh() { # NAME STAMP
  [[ -f $IMAGES/$1.tar && -f $IMAGES/.stamp-$1 && "$(<"$IMAGES/.stamp-$1")" == "$2" ]]
}

# layer_tar ROOTFS OUT: an uncompressed, reproducible-ish layer tarball.
layer_tar() {
  tar --numeric-owner --xattrs --sort=name --mtime=@0 -C "$1" -cf "$2" .
}

build_pause() {
  local src
  src=$(cd "$CLUSTER_DIR" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c
  [[ -f $src ]] || (cd "$CLUSTER_DIR" && go mod download k8s.io/kubernetes)
  local stamp
  stamp=$(stamp_of "$src" "$PAUSE_IMAGE" "$BIN/.stamp-mkimage")
  image_fresh pause "$stamp" && { log "pause image: cached"; return 0; }
  local t0=$SECONDS w
  w=$(mktemp -d "$CACHE_DIR/.pause.XXXX")
  mkdir -p "$w/root"
  gcc -Os -static -Wall -Werror -DVERSION=v3.10.1-kzk -o "$w/root/pause" "$src" ||
    die "compiling pause.c failed"
  strip "$w/root/pause"
  layer_tar "$w/root" "$w/layer.tar"
  kzk-mkimage -tag "$PAUSE_IMAGE" -o "$IMAGES/pause.tar" -layer "$w/layer.tar" \
    -entrypoint '["/pause"]' -user 65535:65535
  rm -rf "$w"
  echo "$stamp" >"$IMAGES/.stamp-pause"
  record_time pause-image $((SECONDS - t0))
}

# busybox: the helper image local-path-provisioner runs to create and delete
# volume directories. Its setup/teardown commands are baked in.
build_busybox() {
  local stamp
  stamp=$(stamp_of "$(dpkg-query -W -f '${Version}' busybox-static)" "$BUSYBOX_IMAGE" \
    "recipe $BUSYBOX_RECIPE" "$BIN/.stamp-mkimage")
  image_fresh busybox "$stamp" && { log "busybox image: cached"; return 0; }
  local t0=$SECONDS w r
  w=$(mktemp -d "$CACHE_DIR/.busybox.XXXX")
  r=$w/root
  mkdir -p "$r/bin" "$r/tmp" "$r/etc" "$r/kzk"
  chmod 1777 "$r/tmp"
  cp /bin/busybox "$r/bin/busybox"
  local a
  for a in $("$r/bin/busybox" --list); do
    [[ $a == busybox ]] || ln -sf busybox "$r/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  # local-path-provisioner sets VOL_DIR (and passes -p DIR) for both.
  printf '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n' >"$r/kzk/setup"
  printf '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n' >"$r/kzk/teardown"
  chmod 0755 "$r/kzk/setup" "$r/kzk/teardown"
  layer_tar "$r" "$w/layer.tar"
  kzk-mkimage -tag "$BUSYBOX_IMAGE" -o "$IMAGES/busybox.tar" -layer "$w/layer.tar" -cmd '["/bin/sh"]'
  rm -rf "$w"
  echo "$stamp" >"$IMAGES/.stamp-busybox"
  record_time busybox-image $((SECONDS - t0))
}

# debian_mirror: the Debian archive apt on this machine uses for bookworm
# (KZK_DEBIAN_MIRROR overrides), for debootstrap.
debian_mirror() {
  if [[ -n ${KZK_DEBIAN_MIRROR:-} ]]; then echo "$KZK_DEBIAN_MIRROR"; return 0; fi
  local m
  # deb822 .sources stanzas: the URIs of a stanza whose Suites include bookworm.
  m=$(awk '/^[[:space:]]*$/ {u=""; s=""} /^URIs:/ {u=$2} /^Suites:/ {s=$0}
           u != "" && s ~ /[[:space:]]bookworm([[:space:]]|$)/ {print u; exit}' \
        /etc/apt/sources.list.d/*.sources 2>/dev/null)
  # one-line format: deb URI bookworm main
  [[ -n $m ]] || m=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
  [[ -n $m ]] && echo "$m"
}

# ZooKeeper images in the official `zookeeper` image's layout, from Apache's
# released jars (scripts/zookeeper/<line>/pom.xml, sha256-checked by
# scripts/zookeeper/fetch.sh), one per line in ZK_LINES (lib.sh). Two layers:
# the OS (bookworm minbase + OpenJDK 17 JRE, user zookeeper 1000, /conf /data
# /datalog /logs), built once and shared by every image, then the
# distribution /apache-zookeeper-<version>-bin/{bin,lib,conf} with the
# entrypoint. All images go into one docker-archive, $IMAGES/zookeeper.tar
# (the shared layer is stored once), so one `ctr images import` brings them all.
ZK_IMG_DIR=$CLUSTER_DIR/image/zookeeper
ZK_POM_DIR=$(cd "$CLUSTER_DIR/../../scripts/zookeeper" && pwd)

# zookeeper_os_layer OUT: the OS layer tarball (cached in $IMAGES/.zookeeper-os.tar).
zookeeper_os_layer() {
  local out=$IMAGES/.zookeeper-os.tar stamp
  stamp=$(stamp_of "os recipe $ZK_OS_RECIPE" "$(debian_mirror || true)")
  if [[ -f $out && -f $IMAGES/.stamp-zookeeper-os && "$(<"$IMAGES/.stamp-zookeeper-os")" == "$stamp" ]]; then
    log "zookeeper images: OS layer cached"
    return 0
  fi
  local t0=$SECONDS w r mirror
  mirror=$(debian_mirror) || die "no Debian bookworm mirror found in /etc/apt/sources.list* (set KZK_DEBIAN_MIRROR)"
  command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install debootstrap)"
  w=$(mktemp -d "$CACHE_DIR/.zookeeper-os.XXXX")
  r=$w/root
  log "zookeeper images: debootstrap bookworm (minbase) from $mirror (log: $CACHE_DIR/build-zookeeper-image.log)"
  if ! debootstrap --variant=minbase --include=openjdk-17-jre-headless,netcat-openbsd,procps \
      bookworm "$r" "$mirror" >"$CACHE_DIR/build-zookeeper-image.log" 2>&1; then
    tail -n 40 "$CACHE_DIR/build-zookeeper-image.log" >&2
    [[ -f $r/debootstrap/debootstrap.log ]] && tail -n 40 "$r/debootstrap/debootstrap.log" >&2
    rm -rf "$w"
    die "debootstrap of the zookeeper OS layer failed"
  fi
  chroot "$r" groupadd -g 1000 zookeeper
  chroot "$r" useradd -u 1000 -g 1000 -d /home/zookeeper -m -s /bin/bash zookeeper
  mkdir -p "$r/conf" "$r/data" "$r/datalog" "$r/logs"
  chown 1000:1000 "$r/conf" "$r/data" "$r/datalog" "$r/logs"
  # Prune what a server image never reads.
  rm -rf "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/info/* \
    "$r"/usr/share/locale/* "$r"/usr/share/lintian \
    "$r"/var/cache/apt/* "$r"/var/lib/apt/lists/* "$r"/var/log/*.log "$r"/var/log/apt/* \
    "$r"/debootstrap
  rm -f "$r"/dev/* 2>/dev/null || true
  : >"$r/etc/resolv.conf"
  printf 'kzk-zookeeper\n' >"$r/etc/hostname"
  [[ -x $r/usr/lib/jvm/java-17-openjdk-amd64/bin/java ]] || die "no Java 17 in the zookeeper OS layer"
  layer_tar "$r" "$out.tmp"
  mv "$out.tmp" "$out"
  rm -rf "$w"
  echo "$stamp" >"$IMAGES/.stamp-zookeeper-os"
  record_time zookeeper-os-layer $((SECONDS - t0))
}

# zookeeper_image LINE OUT: the docker-archive of one line's image.
zookeeper_image() {
  local line=$1 out=$2 fetched version lib w d ref
  fetched=$(bash "$ZK_POM_DIR/fetch.sh" "$line") || die "fetching ZooKeeper $line's jars failed"
  version=$(sed -n 's/^ZK_VERSION=//p' <<<"$fetched")
  lib=$(sed -n 's/^ZK_LIB=//p' <<<"$fetched")
  ref=$(zk_image_ref "$version")
  w=$(mktemp -d "$CACHE_DIR/.zookeeper-$version.XXXX")
  d=$w/root/apache-zookeeper-$version-bin
  mkdir -p "$d/bin" "$d/lib" "$d/conf" "$w/root/conf"
  cp "$lib"/*.jar "$d/lib/"
  install -m 0755 "$ZK_IMG_DIR/zkServer.sh" "$ZK_IMG_DIR/zkCli.sh" "$ZK_IMG_DIR/zkEnv.sh" "$d/bin/"
  install -m 0644 "$ZK_IMG_DIR/logback.xml" "$d/conf/logback.xml"
  # The official image moves the distribution's conf/ into /conf (ZOOCFGDIR).
  install -m 0644 -o 1000 -g 1000 "$ZK_IMG_DIR/logback.xml" "$w/root/conf/logback.xml"
  chown 1000:1000 "$w/root/conf"
  install -m 0755 "$ZK_IMG_DIR/docker-entrypoint.sh" "$w/root/docker-entrypoint.sh"
  chmod 0755 "$w/root" "$d" "$d/bin" "$d/lib" "$d/conf"
  # Sanity: the server's main classes load from these jars on the image's JRE
  # (chroot into the OS layer with this layer on top; java needs /proc).
  mkdir -p "$w/check"
  tar -C "$w/check" -xf "$IMAGES/.zookeeper-os.tar"
  cp -a "$w/root/." "$w/check/"
  mount -t proc proc "$w/check/proc"
  if ! chroot --userspec=1000:1000 "$w/check" env -i PATH=/usr/bin:/bin JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 \
      ZOOCFGDIR=/conf "/apache-zookeeper-$version-bin/bin/zkServer.sh" version >"$w/version" 2>&1 ||
      ! grep -q "version $version" "$w/version"; then
    umount "$w/check/proc"; cat "$w/version" >&2; rm -rf "$w"
    die "ZooKeeper $version does not load in its image"
  fi
  umount "$w/check/proc"
  rm -rf "$w/check"
  log "zookeeper image $ref: $(grep -m1 'version' "$w/version")"
  layer_tar "$w/root" "$w/layer.tar"
  kzk-mkimage -tag "$ref" -o "$out" -layer "$IMAGES/.zookeeper-os.tar" -layer "$w/layer.tar" \
    -env "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/apache-zookeeper-$version-bin/bin" \
    -env JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 \
    -env ZOO_CONF_DIR=/conf -env ZOO_DATA_DIR=/data -env ZOO_DATA_LOG_DIR=/datalog -env ZOO_LOG_DIR=/logs \
    -env ZOO_TICK_TIME=2000 -env ZOO_INIT_LIMIT=5 -env ZOO_SYNC_LIMIT=2 \
    -env ZOO_AUTOPURGE_PURGEINTERVAL=0 -env ZOO_AUTOPURGE_SNAPRETAINCOUNT=3 -env ZOO_MAX_CLIENT_CNXNS=60 \
    -env ZOO_STANDALONE_ENABLED=true -env ZOO_ADMINSERVER_ENABLED=true -env ZOOCFGDIR=/conf \
    -workdir "/apache-zookeeper-$version-bin" \
    -entrypoint '["/docker-entrypoint.sh"]' -cmd '["zkServer.sh","start-foreground"]'
  rm -rf "$w"
}

build_zookeeper() {
  local stamp line hashes=()
  for line in $ZK_LINES; do hashes+=("$ZK_POM_DIR/$line/pom.xml" "$ZK_POM_DIR/$line/jars.sha256"); done
  stamp=$(stamp_of "$ZK_IMG_DIR/"* "$ZK_POM_DIR/fetch.sh" "${hashes[@]}" "$ZK_LINES" "$ZK_IMAGE $ZK_IMAGE_38" \
    "recipe $ZK_RECIPE os $ZK_OS_RECIPE" "$(debian_mirror || true)" "$BIN/.stamp-mkimage")
  image_fresh zookeeper "$stamp" && { log "zookeeper images: cached ($ZK_IMAGE $ZK_IMAGE_38)"; return 0; }
  local t0=$SECONDS w
  zookeeper_os_layer
  w=$(mktemp -d "$CACHE_DIR/.zookeeper.XXXX")
  mkdir -p "$w/all"
  for line in $ZK_LINES; do
    zookeeper_image "$line" "$w/$line.tar"
    tar -C "$w/all" -xf "$w/$line.tar"
    cp "$w/all/manifest.json" "$w/manifest-$line.json"
  done
  # One archive for all: the blobs are named by digest (the OS layer once),
  # manifest.json lists every image.
  jq -s 'add' "$w"/manifest-*.json >"$w/all/manifest.json"
  # member names without a ./ prefix, as docker-archive readers expect
  (cd "$w/all" && find . -maxdepth 1 -type f -printf '%P\n' | sort |
    tar --numeric-owner --mtime=@0 -cf "$IMAGES/zookeeper.tar.tmp" -T -)
  mv "$IMAGES/zookeeper.tar.tmp" "$IMAGES/zookeeper.tar"
  rm -rf "$w"
  echo "$stamp" >"$IMAGES/.stamp-zookeeper"
  record_time zookeeper-images $((SECONDS - t0))
  log "zookeeper images: $(du -h "$IMAGES/zookeeper.tar" | cut -f1) for $ZK_IMAGE and $ZK_IMAGE_38 (gzipped layers, the OS layer shared)"
}

build_images() {
  build_mkimage
  build_pause
  build_busybox
  build_zookeeper
}

case "${1:-all}" in
  binaries) build_binaries ;;
  images) build_images ;;
  zookeeper) build_mkimage; build_zookeeper ;;
  all) build_binaries; build_images ;;
  kube-router) build_kube_router ;;
  *) echo "usage: $0 [binaries|images|zookeeper|kube-router|all]" >&2; exit 2 ;;
esac
