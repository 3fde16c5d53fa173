# ClickHouse from Debian (18.16), run with our own config and data dir, loopback only.

CLICKHOUSE_HTTP_PORT="${CLICKHOUSE_HTTP_PORT:-8123}"
CLICKHOUSE_TCP_PORT="${CLICKHOUSE_TCP_PORT:-9000}"
CLICKHOUSE_INTERSERVER_PORT="${CLICKHOUSE_INTERSERVER_PORT:-9009}"

clickhouse_install() {
  apt_install clickhouse-server clickhouse-client
}

clickhouse_secret() {
  local f
  f="$(state_dir secrets)/clickhouse.env"
  if [[ ! -f "$f" ]]; then
    (umask 077 && echo "TAKT_CLICKHOUSE_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" >"$f")
  fi
  # shellcheck disable=SC1090
  source "$f"
}

clickhouse_render() {
  local dir sha
  dir="$(state_dir clickhouse)"
  mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
  clickhouse_secret
  sha="$(printf '%s' "$TAKT_CLICKHOUSE_PASSWORD" | sha256sum | cut -d' ' -f1)"
  sed -e "s|@STATE@|$dir|g" -e "s|@HTTP_PORT@|$CLICKHOUSE_HTTP_PORT|" -e "s|@TCP_PORT@|$CLICKHOUSE_TCP_PORT|" \
    -e "s|@INTERSERVER_PORT@|$CLICKHOUSE_INTERSERVER_PORT|" \
    "$TAKT_REPO_DIR/infra/clickhouse/config.xml" >"$dir/config.xml"
  sed -e "s|@PASSWORD_SHA256@|$sha|" "$TAKT_REPO_DIR/infra/clickhouse/users.xml" >"$dir/users.xml"
  chmod 600 "$dir/users.xml"
}

clickhouse_url() { printf 'http://127.0.0.1:%s' "$CLICKHOUSE_HTTP_PORT"; }

clickhouse_start() {
  clickhouse_render
  if is_running clickhouse; then
    log_ok "ClickHouse already running on $(clickhouse_url)"
    return 0
  fi
  port_free "$CLICKHOUSE_HTTP_PORT" || {
    log_err "port $CLICKHOUSE_HTTP_PORT is taken by a process that is not ours (CLICKHOUSE_HTTP_PORT to move)"
    return 1
  }
  log_info "starting ClickHouse"
  local dir
  dir="$(state_dir clickhouse)"
  start_bg clickhouse /usr/sbin/clickhouse-server --config-file="$dir/config.xml"
  if ! wait_http "$(clickhouse_url)/ping" 60; then
    is_running clickhouse || true
    [[ -f "$dir/clickhouse.err.log" ]] && tail -n 20 "$dir/clickhouse.err.log" >&2
    fail_with_log clickhouse "check that ports $CLICKHOUSE_HTTP_PORT/$CLICKHOUSE_TCP_PORT are free; data in $dir/data"
    return 1
  fi
  log_ok "ClickHouse $(clickhouse_query 'SELECT version()') on $(clickhouse_url)"
}

clickhouse_query() {
  clickhouse_secret
  curl -fsS --data-binary "$1" -H "X-ClickHouse-User: default" -H "X-ClickHouse-Key: $TAKT_CLICKHOUSE_PASSWORD" \
    "$(clickhouse_url)/"
}

clickhouse_stop() { stop_pid clickhouse 30; }

clickhouse_status() {
  if is_running clickhouse && curl -fsS -o /dev/null "$(clickhouse_url)/ping" 2>/dev/null; then
    printf '%-12s %-8s %s\n' clickhouse up "$(clickhouse_url) pid $(cat "$(pid_file clickhouse)")"
  else
    printf '%-12s %-8s %s\n' clickhouse down "$(clickhouse_url)"
  fi
}
