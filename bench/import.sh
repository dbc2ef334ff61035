#!/usr/bin/env bash
# Benchmark: import a generated Netscape bookmark file of N bookmarks (default 10000; each
# with a title, a description, two of 200 tags and an ADD_DATE) into an empty account, through
# `POST /import/` and through `tagmark import`, then export it again. Usage:
#   bench/import.sh [N]
# SQLite by default; set TAGMARK_BENCH_DATABASE_URL to a MariaDB/PostgreSQL database that may
# be emptied (e.g. postgres://postgres@127.0.0.1:5432/tagmark_bench) to measure that instead.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
PORT=18482
. bench/common.sh

awk -v n="$N" 'BEGIN {
    print "<!DOCTYPE NETSCAPE-Bookmark-file-1>"
    print "<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=UTF-8\">"
    print "<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>"
    for (i = 0; i < n; i++) {
        if (i % 500 == 0) printf "<DT><H3>Folder %d</H3>\n<DL><p>\n", i / 500
        printf "<DT><A HREF=\"https://example.org/page/%d?ref=bench&amp;x=%d\" ADD_DATE=\"%d\" TAGS=\"tag %d,topic-%d\">Page %d &mdash; Überschrift</A>\n", i, i, 1500000000 + i * 60, i % 100, i % 100 + 100, i
        printf "<DD>Description of page %d: some words about it &amp; why it was kept.\n", i
        if (i % 500 == 499 || i == n - 1) print "</DL><p>"
    }
    print "</DL><p>"
}' > "$WORK/bookmarks.html"
echo "file: $N bookmarks, $(du -k "$WORK/bookmarks.html" | cut -f1) KiB, database ${DB%%:*}"

start_server
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

TOKEN=$(account "http-$RANDOM@bench.example")
t0=$(now)
REPORT=$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/html' \
              --data-binary @"$WORK/bookmarks.html" "$B/import/")
t1=$(now)
echo "POST /import/:        $(secs "$t0" "$t1") s  $(echo "$REPORT" | jq -c '{created, skipped, invalid: (.invalid | length)}')"

t0=$(now)
REPORT=$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/html' \
              --data-binary @"$WORK/bookmarks.html" "$B/import/")
t1=$(now)
echo "again (all skipped):  $(secs "$t0" "$t1") s  $(echo "$REPORT" | jq -c '{created, skipped}')"

t0=$(now)
curl -sf -H "Authorization: Bearer $TOKEN" "$B/export/" -o "$WORK/export.html"
t1=$(now)
echo "GET /export/:         $(secs "$t0" "$t1") s  $(grep -c '<DT><A ' "$WORK/export.html") links"

EMAIL="cli-$RANDOM@bench.example"
account "$EMAIL" >/dev/null
t0=$(now)
"$BIN" import "$WORK/bookmarks.html" --account "$EMAIL"
t1=$(now)
echo "tagmark import:       $(secs "$t0" "$t1") s  (process start and migration check included)"
