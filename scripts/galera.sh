#!/usr/bin/env bash
# A three-node MariaDB Galera cluster on loopback, for tests: `start` (idempotent: leaves a
# running, synced cluster alone), `stop`, `status`, and `kill N` / `revive N` for fault tests.
#
# Node N (1..3) listens for SQL on 127.0.0.1:340{6+N} (3407, 3408, 3409), for group
# communication on 457N, for incremental state transfer (IST) on 458N and for full state
# transfer (SST, rsync) on 459N; its files are under $TAGMARK_GALERA_DIR/nodeN (default
# /tmp/tagmark-galera). Each node reads only its own option file (--defaults-file), so the
# machine's own MariaDB on 3306 is never touched. Buffer pools and caches are small: three
# nodes fit beside the regular MariaDB and PostgreSQL on a 2-core machine.
#
# `start` on a stopped cluster makes it anew (fresh data directories): node 1 bootstraps with
# --wsrep-new-cluster, nodes 2 and 3 join it by SST. It returns once every node reports
# wsrep_cluster_size=3 and Synced. Root may log in over TCP without a password.
set -euo pipefail

DIR=${TAGMARK_GALERA_DIR:-/tmp/tagmark-galera}
NODES=(1 2 3)
sql_port() { echo $((3406 + $1)); }
gcomm_port() { echo $((4570 + $1)); }
ist_port() { echo $((4580 + $1)); }
sst_port() { echo $((4590 + $1)); }

provider() {
    local lib
    for lib in /usr/lib/galera/libgalera_smm.so /usr/lib/libgalera_smm.so \
        /usr/lib/galera-4/libgalera_smm.so /usr/lib64/galera-4/libgalera_smm.so; do
        [ -e "$lib" ] && { echo "$lib"; return; }
    done
    echo "galera: libgalera_smm.so not found (install galera-4)" >&2
    exit 1
}

need_packages() {
    local missing=()
    command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
    [ -e /usr/lib/galera/libgalera_smm.so ] || [ -e /usr/lib/libgalera_smm.so ] || missing+=(galera-4)
    command -v rsync >/dev/null || missing+=(rsync)
    command -v ss >/dev/null || command -v lsof >/dev/null || missing+=(iproute2)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "galera: installing ${missing[*]}" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

mariadbd_bin() { command -v mariadbd || echo /usr/sbin/mariadbd; }

# The SQL client on node N's socket (no password, no network).
client() {
    local n=$1; shift
    mariadb --no-defaults -uroot --socket="$DIR/node$n/mysqld.sock" --connect-timeout=2 "$@"
}

status_var() { # node, variable
    client "$1" -N -B -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | awk '{print $2}'
}

write_config() { # node
    local n=$1 d="$DIR/node$1" others=() m
    for m in "${NODES[@]}"; do others+=("127.0.0.1:$(gcomm_port "$m")"); done
    cat >"$d/my.cnf" <<EOF
[mysqld]
user = $RUN_AS
datadir = $d/data
socket = $d/mysqld.sock
pid-file = $d/mysqld.pid
log-error = $d/error.log
bind-address = 127.0.0.1
port = $(sql_port "$n")
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
innodb_buffer_pool_size = 48M
innodb_log_file_size = 16M
innodb_log_buffer_size = 4M
innodb_flush_log_at_trx_commit = 2
performance_schema = OFF
max_connections = 300
thread_cache_size = 16
table_open_cache = 400
key_buffer_size = 1M
aria_pagecache_buffer_size = 4M
skip-log-bin

wsrep_on = ON
wsrep_provider = $PROVIDER
wsrep_cluster_name = tagmark_test
wsrep_cluster_address = gcomm://$(IFS=,; echo "${others[*]}")
wsrep_node_name = node$n
wsrep_node_address = 127.0.0.1:$(gcomm_port "$n")
wsrep_node_incoming_address = 127.0.0.1:$(sql_port "$n")
wsrep_sst_method = rsync
wsrep_sst_receive_address = 127.0.0.1:$(sst_port "$n")
wsrep_slave_threads = 2
wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:$(gcomm_port "$n");ist.recv_addr=127.0.0.1:$(ist_port "$n");gcache.size=32M;gcache.page_size=16M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.keepalive_period=PT1S;evs.inactive_check_period=PT1S;pc.wait_prim_timeout=PT30S"
EOF
}

start_node() { # node, extra mariadbd arguments...
    local n=$1; shift
    local d="$DIR/node$n"
    # setsid: the node outlives the shell (and test process) that started it; 9>&-: it must
    # not keep this script's lock.
    setsid "$(mariadbd_bin)" --defaults-file="$d/my.cnf" "$@" </dev/null >>"$d/stdout.log" 2>&1 9>&- &
}

wait_node_synced() { # node, seconds
    local n=$1 limit=$2 i
    for ((i = 0; i < limit * 2; i++)); do
        if [ "$(status_var "$n" wsrep_local_state_comment)" = Synced ] &&
            [ "$(status_var "$n" wsrep_ready)" = ON ]; then
            return 0
        fi
        sleep 0.5
    done
    echo "galera: node $n did not become Synced within ${limit}s; its log:" >&2
    tail -n 40 "$DIR/node$n/error.log" >&2 || true
    return 1
}

node_pid() { cat "$DIR/node$1/mysqld.pid" 2>/dev/null || true; }

node_alive() {
    local pid
    pid=$(node_pid "$1")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

healthy() { # every node Synced in a cluster of 3
    local n
    for n in "${NODES[@]}"; do
        [ "$(status_var "$n" wsrep_cluster_size)" = 3 ] || return 1
        [ "$(status_var "$n" wsrep_local_state_comment)" = Synced ] || return 1
    done
}

stop_all() {
    local n pid pids=()
    for n in "${NODES[@]}"; do
        pid=$(node_pid "$n")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$pid" 2>/dev/null || true
    done
}

cmd_start() {
    if healthy 2>/dev/null; then
        echo "galera: cluster already running (3 nodes, Synced)"
        return 0
    fi
    need_packages
    PROVIDER=$(provider)
    RUN_AS=mysql
    [ "$(id -u)" = 0 ] || RUN_AS=$(id -un)
    stop_all
    rm -rf "$DIR"
    mkdir -p "$DIR"
    local n started
    started=$(date +%s)
    for n in "${NODES[@]}"; do
        mkdir -p "$DIR/node$n/data"
        write_config "$n"
    done
    [ "$RUN_AS" = "$(id -un)" ] || chown -R "$RUN_AS" "$DIR"
    # Node 1's system tables; the joiners receive everything from it by SST. Root logs in
    # without a password (this is a throw-away test cluster on loopback).
    mariadb-install-db --defaults-file="$DIR/node1/my.cnf" --auth-root-authentication-method=normal \
        --skip-test-db --wsrep-on=OFF >"$DIR/node1/install.log" 2>&1 || {
        cat "$DIR/node1/install.log" >&2
        exit 1
    }
    start_node 1 --wsrep-new-cluster
    wait_node_synced 1 60
    client 1 -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; \
        GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; \
        CREATE DATABASE IF NOT EXISTS test"
    # Both join at once; node 1 serves one state transfer at a time.
    start_node 2
    start_node 3
    wait_node_synced 2 120
    wait_node_synced 3 120
    for _ in $(seq 1 60); do healthy && break; sleep 0.5; done
    healthy || { echo "galera: the cluster did not reach 3 synced nodes" >&2; exit 1; }
    echo "galera: 3 nodes synced on 127.0.0.1:3407-3409 in $(($(date +%s) - started))s"
}

cmd_status() {
    local n rc=0
    for n in "${NODES[@]}"; do
        if node_alive "$n"; then
            echo "node$n: port $(sql_port "$n") pid $(node_pid "$n") size=$(status_var "$n" wsrep_cluster_size) state=$(status_var "$n" wsrep_local_state_comment)"
        else
            echo "node$n: down"
            rc=1
        fi
    done
    healthy || rc=1
    return $rc
}

cmd_kill() { # SIGKILL node N's mariadbd (a crash: no clean leave)
    local n=$1 pid
    pid=$(node_pid "$n")
    [ -n "$pid" ] || { echo "galera: node $n has no pid" >&2; exit 1; }
    kill -9 "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$DIR/node$n/mysqld.pid"
}

cmd_revive() { # start node N again; it rejoins the others and is waited for
    local n=$1 d="$DIR/node$1" position started recovered from
    node_alive "$n" && return 0
    started=$(date +%s.%N)
    # After a crash the node's state file knows no position: recover it from InnoDB (as
    # the packaged galera_recovery does), so that the node catches up by IST, the writes it
    # missed, instead of copying everything by SST (which also blocks writes on the donor).
    "$(mariadbd_bin)" --defaults-file="$d/my.cnf" --wsrep-recover --log-error="$d/recover.log" \
        >/dev/null 2>&1 9>&- || true
    position=$(sed -n 's/.*WSREP: Recovered position: *//p' "$d/recover.log" | tail -n 1)
    rm -f "$d/recover.log"
    recovered=$(date +%s.%N)
    from=$(($(wc -l <"$d/error.log") + 1))
    if [ -n "$position" ]; then
        start_node "$n" --wsrep-start-position="$position"
    else
        start_node "$n"
    fi
    wait_node_synced "$n" 120
    report_rejoin "$n" "$from" "$started" "$recovered"
}

# One line on where a rejoin's time went, from node N's log since line `from`: finding the
# position, the state-transfer script (from its start until the node sends its request: it
# starts an rsync daemon and waits until that listens, even when only IST follows), and the
# transfer and catch-up. While the node catches up, flow control slows the whole cluster.
report_rejoin() { # node, first log line of this start, start and recovery times (epoch s)
    local n=$1 from=$2 started=$3 recovered=$4 synced log script request ist
    synced=$(date +%s.%N)
    log=$(tail -n +"$from" "$DIR/node$n/error.log")
    script=$(sed -n 's/^WSREP_SST: \[INFO\] [a-z]* SST started on joiner (\(.*\))$/\1/p' <<<"$log" | head -n 1)
    request=$(sed -n 's/^\([0-9-]* [0-9:]*\) .*Requesting state transfer: success.*/\1/p' <<<"$log" | head -n 1)
    ist=$(sed -n 's/.*Receiving IST: \([0-9]*\) writesets.*/IST of \1 writesets/p' <<<"$log" | head -n 1)
    awk -v n="$n" -v a="$started" -v b="$recovered" -v c="$synced" -v ist="${ist:-SST}" \
        -v s="$( [ -n "$script" ] && date -d "$script" +%s.%N)" \
        -v r="$( [ -n "$request" ] && date -d "$request" +%s)" 'BEGIN {
        line = sprintf("galera: node %s synced %.1f s after revive: position recovered in %.1f s", n, c - a, b - a)
        # (The request is logged to the second only.)
        if (s != "" && r != "") line = line ", state transfer requested " \
            (r - s < 1 ? "within 1 s" : sprintf("%.0f s", r - s)) " after its script started"
        print line " (" ist ")"
    }'
}

exec 9>"${DIR%/}.lock"
flock 9
case "${1:-}" in
start) cmd_start ;;
stop) stop_all; echo "galera: stopped" ;;
status) cmd_status ;;
kill) cmd_kill "${2:?node}" ;;
revive) cmd_revive "${2:?node}" ;;
*)
    echo "usage: $0 start|stop|status|kill N|revive N" >&2
    exit 2
    ;;
esac
