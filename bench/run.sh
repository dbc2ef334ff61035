#!/usr/bin/env bash
# Benchmark: tagmark on a fresh database against a minimal axum server (the ceiling), with wrk
# on the same machine. Usage: bench/run.sh [seconds]   (default 10 per measurement)
# Also runs on MariaDB/PostgreSQL when TAGMARK_BENCH_MYSQL_URL / TAGMARK_BENCH_POSTGRES_URL
# name a database that may be emptied (e.g. mysql://root@127.0.0.1:3306/tagmark_bench).
# BENCH_DB_CONNECTIONS sets the MySQL/PostgreSQL pool size (default 16); TAGMARK_SQLITE_READERS,
# when set, the SQLite reader threads (default: half the cores).
# Each engine's own ceiling is measured in the same run, 32 clients on the same cores: the
# database answering tagmark's own GET /link/{id} statement (POINT_SELECT below) for the
# benchmark's link, prepared, from its links table: PostgreSQL with pgbench, MariaDB with a
# sysbench Lua script. MariaDB's sysbench oltp_point_select (one CHAR column of a 10,000-row
# table in a database sbtest_tagmark it creates and drops) is shown too, as the figure others
# publish; "of db ceiling" is against the first. Every row also gives
# the CPU time per request of the tagmark process and of the database server (utime + stime
# from /proc, the database's exited backends included), which varies less than req/s.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CONNS=32
# The statement tagmark runs for GET /link/{id} (src/store/links.rs), which the databases'
# own ceilings run too.
POINT_SELECT="SELECT l.link_id, l.link, l.account_id, l.created_at, l.title, l.description, l.notes, l.updated_at, l.unread, l.favorite FROM links l WHERE l.link_id = ?"
PORT=18480
CEIL_PORT=18481
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is needed: apt-get install jq" >&2; exit 1; }
cargo build --release --quiet --bin tagmark --example ceiling
BIN=target/release/tagmark
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

wait_http() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; return 1; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

# CPU time in clock ticks of a process and its threads (and, with "children", of its exited
# children that it waited for: PostgreSQL's backends), plus its live children.
TICKS=$(getconf CLK_TCK)
SERVER_PID=
DB_PID=
cpu_ticks() { # pid
    local pid=$1
    [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || { echo 0; return; }
    local total
    total=$(awk '{sub(/^.*\) /, ""); print $12 + $13 + $14 + $15}' "/proc/$pid/stat")
    for child in $(pgrep -P "$pid" || true); do
        total=$((total + $(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$child/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
# µs of CPU per request from two tick counts and a request count.
per_request() { awk -v a="$1" -v b="$2" -v n="$3" -v t="$TICKS" 'BEGIN {if (n > 0) printf "%.0f", (b - a) * 1e6 / t / n; else print "-"}'; }

# wrk: requests/s, p50 and p99 (ms), non-2xx, and CPU µs per request of tagmark and of the
# database server, of one measurement.
measure() { # name url [lua-script] [header]
    local name=$1 url=$2 script=${3:-} header=${4:-}
    local args=(-t2 -c"$CONNS" -d"${DURATION}s" --latency)
    [ -n "$script" ] && args+=(-s "$script")
    [ -n "$header" ] && args+=(-H "$header")
    local s0 d0 s1 d1
    s0=$(cpu_ticks "$SERVER_PID"); d0=$(cpu_ticks "$DB_PID")
    local out; out=$(wrk "${args[@]}" "$url")
    s1=$(cpu_ticks "$SERVER_PID"); d1=$(cpu_ticks "$DB_PID")
    local rps p50 p99 errors requests
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1=="50%" {print $2}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rps" "$p50" "$p99" "${errors:-0}" \
        "$(per_request "$s0" "$s1" "$requests")" "$([ -n "$DB_PID" ] && per_request "$d0" "$d1" "$requests" || echo -)"
}

# URL parts: user host port database of scheme://user[:password]@host[:port]/database[?…]
# (the port the scheme's default when the URL has none).
url_parts() {
    local rest=${1#*://} user host port
    user=${rest%%@*}; user=${user%%:*}; rest=${rest#*@}
    host=${rest%%/*}; port=${host##*:}
    if [ "$port" = "$host" ]; then
        case $1 in postgres*) port=5432 ;; *) port=3306 ;; esac
    fi
    host=${host%%:*}
    rest=${rest#*/}
    echo "$user" "$host" "$port" "${rest%%\?*}"
}
# The sysbench/mysql options that reach the server of a MariaDB URL: its Unix socket when
# the URL names one (?socket=/run/mysqld/mysqld.sock, as tagmark's own connection then uses),
# else its host and port.
mysql_reach() { # url host port
    local socket
    socket=$(grep -o 'socket=[^&]*' <<<"$1" | cut -d= -f2 || true)
    if [ -n "$socket" ]; then
        echo "--mysql-socket=$socket"
    else
        echo "--mysql-host=$2 --mysql-port=$3"
    fi
}

# A ceiling row from sysbench's report: name, the counter that counts the selects
# ("transactions" or "queries"), the report, and the database's CPU ticks before and after.
sysbench_row() {
    local name=$1 counter=$2 out=$3 rps lat count errors
    rps=$(awk -v c="$counter:" '$1 == c {gsub(/\(/, "", $3); print $3}' <<<"$out")
    lat=$(awk '/avg:/ {print $2 "ms"}' <<<"$out")
    count=$(awk -v c="$counter:" '$1 == c {print $2}' <<<"$out")
    errors=$(awk '/ignored errors:/ {print $3}' <<<"$out")
    printf '%s\t%s\t%s\t-\t%s\t-\t%s\n' "$name" "$rps" "$lat" "${errors:-0}" "$(per_request "$4" "$5" "$count")"
}

# The database's own point-select rate: req/s, p50 (the mean: the tools give no median), "-",
# non-2xx (errors), and its server CPU µs per select.
db_ceiling() { # engine url link_id
    local engine=$1 user host port db
    read -r user host port db <<<"$(url_parts "$2")"
    local d0 d1 out rps lat count errors
    if [ "$engine" = postgres ]; then
        command -v pgbench >/dev/null || { echo "pgbench is needed: apt-get install postgresql-client" >&2; exit 1; }
        echo "$POINT_SELECT" | sed "s/?/'$3'/" >"$WORK/point.sql"
        d0=$(cpu_ticks "$DB_PID")
        out=$(pgbench -n -M prepared -c "$CONNS" -j 2 -T "$DURATION" -f "$WORK/point.sql" \
            -h "$host" -p "$port" -U "$user" "$db" 2>&1)
        d1=$(cpu_ticks "$DB_PID")
        rps=$(awk '/^tps/ {print $3}' <<<"$out")
        lat=$(awk '/latency average/ {print $4 "ms"}' <<<"$out")
        count=$(awk '/number of transactions actually processed/ {print $NF}' <<<"$out")
        errors=$(awk '/number of failed transactions/ {print $5}' <<<"$out")
        printf '%s\t%s\t%s\t-\t%s\t-\t%s\n' "pgbench point select on links (prepared, $CONNS clients)" \
            "$rps" "$lat" "${errors:-0}" "$(per_request "$d0" "$d1" "$count")"
    elif [ "$engine" = mysql ]; then
        command -v sysbench >/dev/null || { echo "sysbench is needed: apt-get install sysbench" >&2; exit 1; }
        # tagmark's own statement for GET /link/{id}, prepared once per thread, on its links table.
        cat >"$WORK/point.lua" <<LUA
function thread_init()
  drv = sysbench.sql.driver()
  con = drv:connect()
  stmt = con:prepare("$POINT_SELECT")
  param = stmt:bind_create(sysbench.sql.type.VARCHAR, 64)
  stmt:bind_param(param)
  param:set("$3")
end
function event()
  stmt:execute()
end
function thread_done()
  stmt:close()
  con:disconnect()
end
LUA
        d0=$(cpu_ticks "$DB_PID")
        local reach
        read -ra reach <<<"$(mysql_reach "$2" "$host" "$port")"
        out=$(sysbench "$WORK/point.lua" --db-driver=mysql "${reach[@]}" \
            --mysql-user="$user" --mysql-db="$db" --threads="$CONNS" --time="$DURATION" run)
        d1=$(cpu_ticks "$DB_PID")
        sysbench_row "sysbench point select on links (prepared, tagmark's statement, $CONNS threads)" \
            transactions "$out" "$d0" "$d1"
    else # mysql-oltp: sysbench's own point select, for comparison with other published figures
        command -v sysbench >/dev/null || { echo "sysbench is needed: apt-get install sysbench" >&2; exit 1; }
        local reach
        read -ra reach <<<"$(mysql_reach "$2" "$host" "$port")"
        local sb=(--db-driver=mysql "${reach[@]}" --mysql-user="$user"
                  --mysql-db=sbtest_tagmark --tables=1 --table-size=10000)
        mysql -h"$host" -P"$port" -u"$user" -e "DROP DATABASE IF EXISTS sbtest_tagmark; CREATE DATABASE sbtest_tagmark"
        sysbench oltp_point_select "${sb[@]}" prepare >/dev/null
        d0=$(cpu_ticks "$DB_PID")
        out=$(sysbench oltp_point_select "${sb[@]}" --threads="$CONNS" --time="$DURATION" run)
        d1=$(cpu_ticks "$DB_PID")
        mysql -h"$host" -P"$port" -u"$user" -e "DROP DATABASE IF EXISTS sbtest_tagmark"
        sysbench_row "sysbench oltp_point_select (prepared, $CONNS threads)" queries "$out" "$d0" "$d1"
    fi
}

to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}' <<<"$1"; }

run_engine() { # engine url [database server pid]
    local engine=$1 url=$2
    DB_PID=${3:-}
    TAGMARK_DATABASE_URL=$url TAGMARK_BIND=127.0.0.1:$PORT TAGMARK_ADMIN_USERNAME=admin \
        TAGMARK_ADMIN_PASSWORD=bench-admin-pw TAGMARK_LOG=warn TAGMARK_DB_MAX_CONNECTIONS=${BENCH_DB_CONNECTIONS:-16} \
        "$BIN" serve 2>"$WORK/server-$engine.log" &
    local pid=$!; PIDS+=("$pid"); SERVER_PID=$pid
    local B=http://127.0.0.1:$PORT
    wait_http "$B/health"
    local admin token
    admin=$(curl -sf -d 'username=admin&password=bench-admin-pw&scope=admin' "$B/token/" | jq -r .access_token)
    curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
        -d '{"email":"bench@example.com","password":"bench-password"}' "$B/account/" >/dev/null
    token=$(curl -sf -d 'username=bench@example.com&password=bench-password' "$B/token/" | jq -r .access_token)
    # 1000 links over 10 tags, through the API (one keep-alive connection per batch).
    for batch in $(seq 0 9); do
        args=()
        for i in $(seq 0 99); do
            n=$((batch * 100 + i))
            args+=(-s -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json'
                   -d "{\"link\":\"https://example.com/bench/$n\",\"tag\":\"tag$((n % 10))\"}" "$B/link/" --next)
        done
        curl -f "${args[@]:0:${#args[@]}-1}"
    done
    local link_id
    link_id=$(curl -sf -H "Authorization: Bearer $token" "$B/link/?limit=1" | jq -r '.[0].link_id')
    local body_bytes
    body_bytes=$(curl -sf -H "Authorization: Bearer $token" "$B/link/$link_id" | wc -c)
    [ "$body_bytes" -eq "$CEILING_BYTES" ] ||
        echo "note: GET /link/{id} answers $body_bytes bytes, the ceiling $CEILING_BYTES" >&2
    local idle; idle=$(rss_mib "$pid")
    cat >"$WORK/post_link.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, '{"link":"https://example.com/new/' .. counter .. '","tag":"tag' .. (counter % 10) .. '"}')
end
LUA
    cat >"$WORK/post_token.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "username=bench@example.com&password=bench-password"
LUA
    local results=() db_rps=
    if [ -n "$DB_PID" ]; then
        results+=("$(db_ceiling "$engine" "$url" "$link_id")")
        db_rps=$(cut -f2 <<<"${results[0]}")
        [ "$engine" = mysql ] && results+=("$(db_ceiling mysql-oltp "$url" "$link_id")")
    fi
    results+=("$(measure "GET /link/{id}" "$B/link/$link_id" "" "Authorization: Bearer $token")")
    results+=("$(measure "GET /link/?tag=&limit=100" "$B/link/?tag=tag3&limit=100" "" "Authorization: Bearer $token")")
    results+=("$(measure "POST /link/" "$B/link/" "$WORK/post_link.lua")")
    results+=("$(measure "POST /token/" "$B/token/" "$WORK/post_token.lua")")
    # Login flood: 16 connections logging in as fast as they can while 4 others read a link.
    cat >"$WORK/p95.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
done = function(summary, latency, requests)
  print("P95 " .. string.format("%.2f", latency:percentile(95) / 1000))
end
LUA
    wrk -t1 -c16 -d"${DURATION}s" -s "$WORK/post_token.lua" "$B/token/" >"$WORK/flood.txt" &
    local flood=$!
    sleep 0.5
    local during; during=$(wrk -t1 -c4 -d"$((DURATION - 1))s" --latency -s "$WORK/p95.lua" "$B/link/$link_id")
    wait "$flood" || true
    local flood_rps; flood_rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/flood.txt")
    results+=("$(printf '%s\t%s\t%s\t%s\t%s\t-\t-' "GET /link/{id} during a 16-client login flood (p95 in the p99 column)" \
        "$(awk '/Requests\/sec/ {print $2}' <<<"$during")" "$(awk '$1=="50%" {print $2}' <<<"$during")" \
        "$(awk '/^P95/ {print $2 "ms"}' <<<"$during")" "$(awk '/Non-2xx/ {n=$NF} END {print n+0}' <<<"$during")")")
    results+=("$(printf '%s\t%s\t-\t-\t0\t-\t-' "POST /token/ during that flood" "$flood_rps")")
    local loaded; loaded=$(rss_mib "$pid")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    for r in "${results[@]}"; do
        IFS=$'\t' read -r name rps p50 p99 errors server_us db_us <<<"$r"
        local of_db=-
        [ -n "$db_rps" ] && [[ $name != *select* ]] &&
            of_db=$(awk -v a="$rps" -v c="$db_rps" 'BEGIN {printf "%.0f%%", 100*a/c}')
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$engine" "$name" "$rps" \
            "$(to_ms "$p50")" "$([ "$p99" = - ] && echo - || to_ms "$p99")" \
            "$(awk -v a="$rps" -v c="$CEILING_RPS" 'BEGIN {printf "%.0f%%", 100*a/c}')" "$of_db" \
            "$server_us" "$db_us" "$errors"
    done
    echo "| $engine | resident memory | idle ${idle} MiB | | under load ${loaded} MiB | | | | | |"
}

# The ceiling, with a body of the size of the link measured: two UUIDs, its URL
# (https://example.com/bench/0), two timestamps with microseconds, three nulls and two booleans.
CEILING_BYTES=302
target/release/examples/ceiling 127.0.0.1:$CEIL_PORT $CEILING_BYTES &
PIDS+=("$!")
wait_http "http://127.0.0.1:$CEIL_PORT/"
SERVER_PID=${PIDS[0]}
IFS=$'\t' read -r _ CEILING_RPS c50 c99 _ c_us _ <<<"$(measure ceiling "http://127.0.0.1:$CEIL_PORT/link/x")"

echo "wrk -t2 -c$CONNS -d${DURATION}s on $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| engine | measurement | req/s | p50 ms | p99 ms | of HTTP ceiling | of db ceiling | tagmark CPU µs/req | db CPU µs/req | non-2xx |"
echo "|---|---|---|---|---|---|---|---|---|---|"
echo "| - | ceiling (axum, no db, no auth) | $CEILING_RPS | $(to_ms "$c50") | $(to_ms "$c99") | 100% | - | $c_us | - | 0 |"
run_engine sqlite "sqlite://$WORK/bench.db"
if [ -n "${TAGMARK_BENCH_MYSQL_URL:-}" ]; then
    read -r user host port db <<<"$(url_parts "$TAGMARK_BENCH_MYSQL_URL")"
    mysql -h"$host" -P"$port" -u"$user" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db" 2>/dev/null || true
    run_engine mysql "$TAGMARK_BENCH_MYSQL_URL" \
        "$(ss -ltnpH "sport = :$port" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2)"
fi
if [ -n "${TAGMARK_BENCH_POSTGRES_URL:-}" ]; then
    read -r user host port db <<<"$(url_parts "$TAGMARK_BENCH_POSTGRES_URL")"
    psql -h "$host" -p "$port" -U "$user" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" postgres >/dev/null 2>&1 || true
    run_engine postgres "$TAGMARK_BENCH_POSTGRES_URL" \
        "$(ss -ltnpH "sport = :$port" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2)"
fi
