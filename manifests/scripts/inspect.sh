#!/usr/bin/env bash
# kubectl-zk: what a kept data volume holds, for `kubectl zk create` before it
# applies anything. Runs in a short-lived pod with the volume mounted read-only
# at /data (the path the member used), prints key=value lines and never writes.
d=/data
echo "myid=$(tr -d '[:space:]' < "$d/myid" 2>/dev/null)"
dyn="$(sed -n 's/^dynamicConfigFile=//p' "$d/conf/zoo.cfg" 2>/dev/null | tail -n 1)"
echo "dynamic_file=${dyn##*/}"
if [[ -n "$dyn" && -f "$dyn" ]]; then grep '^server\.' "$dyn" | sed 's/^/server=/'; fi
echo "current_epoch=$(tr -d '[:space:]' < "$d/version-2/currentEpoch" 2>/dev/null)"
# the newest transaction log or snapshot file name carries the zxid it starts at
newest=""
for f in "$d"/version-2/log.* "$d"/version-2/snapshot.*; do
  [[ -e "$f" ]] || continue
  z="${f##*.}"
  if [[ -z "$newest" || ${#z} -gt ${#newest} || ( ${#z} -eq ${#newest} && "$z" > "$newest" ) ]]; then newest="$z"; fi
done
echo "newest_zxid=$newest"
echo "end=ok"
