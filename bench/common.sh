# Shared by bench/import.sh and bench/webapp.sh (sourced, after PORT is set): the release
# binary, a scratch folder removed on exit, the database (SQLite in the scratch folder, or
# TAGMARK_BENCH_DATABASE_URL), tagmark's configuration from nothing but these variables, and
# helpers to start the server and make accounts.
command -v jq >/dev/null || { echo "jq is needed: apt-get install jq" >&2; exit 1; }
cargo build --release --quiet --bin tagmark
BIN=$PWD/target/release/tagmark
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

DB=${TAGMARK_BENCH_DATABASE_URL:-sqlite://$WORK/bench.db}
for name in $(env | grep -o '^TAGMARK_[A-Z_]*' || true); do unset "$name"; done
export TAGMARK_DATABASE_URL=$DB TAGMARK_BIND=127.0.0.1:$PORT TAGMARK_LOG=warn \
       TAGMARK_ADMIN_USERNAME=bench TAGMARK_ADMIN_PASSWORD=bench-password-1
B=http://127.0.0.1:$PORT

# Start the server (log in $WORK/server.log) and log the admin in ($ADMIN).
start_server() {
    "$BIN" serve > "$WORK/server.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 100); do curl -sf "$B/health" >/dev/null && break; sleep 0.1; done
    ADMIN=$(curl -sf -d 'username=bench&password=bench-password-1&scope=admin' "$B/token/" | jq -r .access_token)
}

# Create the account of email $1 (password "bench-password"); prints a token of it.
account() {
    curl -sf -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
         -d "{\"email\": \"$1\", \"password\": \"bench-password\"}" "$B/account/" >/dev/null
    curl -sf -d "username=$1&password=bench-password" "$B/token/" | jq -r .access_token
}
