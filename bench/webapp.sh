#!/usr/bin/env bash
# Benchmark: the web app's pages on an account of N bookmarks (default 10000; each with a
# title, a description and two of 200 tags), release build. Each page is fetched R times
# (default 50) over one keep-alive connection, logged in with a session cookie; the table gives
# the median and 95th percentile of curl's time to the first byte (the server's time plus a
# loopback round trip) and the page's size. Usage:
#   bench/webapp.sh [N] [R]
# SQLite by default; set TAGMARK_BENCH_DATABASE_URL to a MariaDB/PostgreSQL database that may
# be emptied (e.g. postgres://postgres@127.0.0.1:5432/tagmark_bench) to measure that instead.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
R=${2:-50}
PORT=18483
. bench/common.sh

awk -v n="$N" 'BEGIN {
    print "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<TITLE>Bookmarks</TITLE>\n<DL><p>"
    for (i = 0; i < n; i++) {
        printf "<DT><A HREF=\"https://example.org/page/%d\" ADD_DATE=\"%d\" TAGS=\"tag %d,topic-%d\">Page %d about %s</A>\n", i, 1500000000 + i * 60, i % 100, i % 100 + 100, i, (i % 97 == 0 ? "kubernetes" : "cooking")
        printf "<DD>Description of page %d: some words about it and why it was kept.\n", i
    }
    print "</DL><p>"
}' > "$WORK/bookmarks.html"

start_server
EMAIL="ui-$RANDOM@bench.example"
TOKEN=$(account "$EMAIL")
curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/html' \
     --data-binary @"$WORK/bookmarks.html" "$B/import/" | jq -c '{created}'

# Log in through the form, as a browser does: the login page's cookie and CSRF field first.
JAR=$WORK/cookies
CSRF=$(curl -sf -c "$JAR" "$B/ui/login" | grep -o 'name="csrf" value="[^"]*"' | head -n1 | cut -d'"' -f4)
curl -sf -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "csrf=$CSRF" \
     --data-urlencode "username=$EMAIL" --data-urlencode "password=bench-password" \
     -d scope=account "$B/ui/login"
curl -sf -b "$JAR" "$B/ui/" | grep -q "$EMAIL" || { echo "the login did not take" >&2; exit 1; }

echo "$N bookmarks, ${DB%%:*}, $R fetches a page, $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| page | median ms | p95 ms | KiB |"
echo "|---|---|---|---|"
for page in "/ui/" "/ui/?q=kubernetes" "/ui/?q=nothing-matches-this" "/ui/?tags=tag%2042" \
            "/ui/?page=50" "/ui/tags" "/ui/links/new" "/ui/settings" "/ui/transfer"; do
    args=()
    for _ in $(seq 1 "$R"); do
        args+=(-s -o /dev/null -b "$JAR" -w '%{http_code} %{time_starttransfer} %{size_download}\n' "$B$page" --next)
    done
    curl "${args[@]:0:${#args[@]}-1}" > "$WORK/times"
    if awk '$1 != 200 {bad = 1} END {exit !bad}' "$WORK/times"; then
        echo "$page answered other than 200: $(sort -u -k1,1 "$WORK/times" | head -n3)" >&2
        exit 1
    fi
    sort -n -k2 "$WORK/times" | awk -v page="$page" '{t[NR] = $2 * 1000; size = $3}
        END {printf "| `%s` | %.1f | %.1f | %.0f |\n", page, t[int((NR + 1) / 2)], t[int(NR * 0.95 + 0.5)], size / 1024}'
done
