# Monitoring for the local stack: Prometheus and Alertmanager (Debian), the PostgreSQL exporter and
# the node exporter (Debian), ClickHouse's system tables through the node exporter's textfile
# collector, and the JMX exporter agent that kafka.sh and connect.sh load into their JVMs.
# Sourced, never executed. Config is rendered from infra/prometheus/ into the state folder; the
# rules are read from the repository. What is scraped and why: docs/observability.md.
#
# Env: PROMETHEUS_PORT (9090), ALERTMANAGER_PORT (9095: Kafka's controller has 9093),
#      PG_EXPORTER_PORT (9187), NODE_EXPORTER_PORT (9100), KAFKA_METRICS_PORT (9404),
#      CONNECT_METRICS_PORT (9405), CLICKHOUSE_METRICS_INTERVAL (15 s).
# Functions: monitoring_install, monitoring_up, monitoring_stop, monitoring_status, monitoring_urls,
#            jmx_exporter_install, jmx_agent_opts <kafka|connect> <port>

PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"
ALERTMANAGER_PORT="${ALERTMANAGER_PORT:-9095}"
PG_EXPORTER_PORT="${PG_EXPORTER_PORT:-9187}"
NODE_EXPORTER_PORT="${NODE_EXPORTER_PORT:-9100}"
KAFKA_METRICS_PORT="${KAFKA_METRICS_PORT:-9404}"
CONNECT_METRICS_PORT="${CONNECT_METRICS_PORT:-9405}"
CLICKHOUSE_METRICS_INTERVAL="${CLICKHOUSE_METRICS_INTERVAL:-15}"
JMX_EXPORTER_VERSION=1.0.1

jmx_exporter_jar() {
  printf '%s/jmx-exporter-%s/jmx_prometheus_javaagent-%s.jar' "$TAKT_CACHE_DIR" "$JMX_EXPORTER_VERSION" "$JMX_EXPORTER_VERSION"
}

# The agent jar from Maven Central into the cache (never into git), once.
jmx_exporter_install() {
  local jar
  jar="$(jmx_exporter_jar)"
  [[ -s "$jar" ]] && return 0
  command -v mvn >/dev/null || { log_err "mvn not found: Maven fetches the JMX exporter agent"; return 1; }
  log_info "fetching io.prometheus.jmx:jmx_prometheus_javaagent:$JMX_EXPORTER_VERSION"
  mvn -q -B dependency:copy -Dartifact="io.prometheus.jmx:jmx_prometheus_javaagent:$JMX_EXPORTER_VERSION" \
    -DoutputDirectory="$(dirname "$jar")" >/dev/null || { log_err "could not fetch the JMX exporter agent"; return 1; }
}

# jmx_agent_opts <kafka|connect> <port>: the -javaagent flag serving /metrics on loopback, or
# nothing (with a warning) when the jar is missing, so a broker still starts without it.
jmx_agent_opts() {
  local jar
  jar="$(jmx_exporter_jar)"
  if [[ ! -s "$jar" ]]; then
    log_warn "JMX exporter agent missing ($jar): $1 starts without /metrics (monitoring_install)"
    return 0
  fi
  # A taken port would make the JVM exit in the agent's premain.
  if ! port_free "$2"; then
    log_warn "port $2 is taken: $1 starts without /metrics (KAFKA_METRICS_PORT / CONNECT_METRICS_PORT to move)"
    return 0
  fi
  printf -- '-javaagent:%s=127.0.0.1:%s:%s' "$jar" "$2" "$TAKT_REPO_DIR/infra/prometheus/jmx/$1.yml"
}

monitoring_install() {
  apt_install prometheus prometheus-alertmanager prometheus-postgres-exporter prometheus-node-exporter
  jmx_exporter_install
}

_monitoring_render() {
  local dir
  dir="$(state_dir prometheus)"
  mkdir -p "$dir/data"
  sed -e "s|@RULES_DIR@|$TAKT_REPO_DIR/infra/prometheus/rules|" -e "s|@PROMETHEUS_PORT@|$PROMETHEUS_PORT|" \
    -e "s|@ALERTMANAGER_PORT@|$ALERTMANAGER_PORT|g" -e "s|@INGEST_PORT@|${INGEST_PORT:-3001}|" \
    -e "s|@QUERY_PORT@|${QUERY_PORT:-3002}|" -e "s|@AUDIT_PORT@|${AUDIT_PORT:-3003}|" \
    -e "s|@PROJECTOR_PORT@|${PROJECTOR_PORT:-3004}|" -e "s|@PG_EXPORTER_PORT@|$PG_EXPORTER_PORT|" \
    -e "s|@KAFKA_METRICS_PORT@|$KAFKA_METRICS_PORT|" -e "s|@CONNECT_METRICS_PORT@|$CONNECT_METRICS_PORT|" \
    -e "s|@NODE_EXPORTER_PORT@|$NODE_EXPORTER_PORT|" \
    "$TAKT_REPO_DIR/infra/prometheus/prometheus.yml" >"$dir/prometheus.yml"
  dir="$(state_dir alertmanager)"
  mkdir -p "$dir/data"
  cp "$TAKT_REPO_DIR/infra/prometheus/alertmanager.yml" "$dir/alertmanager.yml"
}

# _monitoring_start <component> <port> <ready path> <cmd...>: start unless running, wait for HTTP.
_monitoring_start() {
  local name="$1" port="$2" path="$3"
  shift 3
  if is_running "$name"; then
    log_ok "$name already running on http://127.0.0.1:$port"
    return 0
  fi
  port_free "$port" || { log_err "port $port is taken by a process that is not ours ($name)"; return 1; }
  start_bg "$name" "$@"
  wait_http "http://127.0.0.1:$port$path" 30 || { fail_with_log "$name" "see $(log_file "$name")"; return 1; }
  log_ok "$name on http://127.0.0.1:$port"
}

_monitoring_reload() {
  is_running "$1" || return 0
  curl -fsS -m 10 -X POST "http://127.0.0.1:$2/-/reload" >/dev/null ||
    log_warn "$1 refused its new config (see $(log_file "$1")); it keeps the previous one"
}

# ClickHouse 18.16 has no Prometheus endpoint: its system tables are written as a textfile for the
# node exporter every CLICKHOUSE_METRICS_INTERVAL seconds (docs/observability.md).
_clickhouse_metrics_start() {
  local out
  out="$(state_dir node-exporter)/textfile"
  mkdir -p "$out"
  is_running clickhouse-metrics && return 0
  start_bg clickhouse-metrics bash "$TAKT_REPO_DIR/infra/prometheus/clickhouse-textfile.sh" \
    "$(clickhouse_url)" "$TAKT_STATE_DIR/secrets/clickhouse.env" "$CLICKHOUSE_METRICS_INTERVAL" "$out/clickhouse.prom"
}

# Names the mount point of the state folder, for the disk alert (infra/prometheus/rules/platform.yml).
_state_dir_info() {
  local out="$1/textfile/state-dir.prom" mp
  mp="$(df --output=target "$TAKT_STATE_DIR" | tail -n 1)"
  printf 'takt_state_dir_info{mountpoint="%s",path="%s"} 1\n' "$mp" "$TAKT_STATE_DIR" >"$out.tmp"
  mv -f "$out.tmp" "$out"
}

monitoring_up() {
  _monitoring_render
  local pdir adir ndir
  pdir="$(state_dir prometheus)" adir="$(state_dir alertmanager)" ndir="$(state_dir node-exporter)"
  _clickhouse_metrics_start
  _state_dir_info "$ndir"
  _monitoring_start node-exporter "$NODE_EXPORTER_PORT" /metrics /usr/bin/prometheus-node-exporter \
    --web.listen-address="127.0.0.1:$NODE_EXPORTER_PORT" --collector.disable-defaults \
    --collector.filesystem --collector.textfile --collector.textfile.directory="$ndir/textfile" || return 1
  # The postgres superuser over loopback trust auth; a deployment gives it a pg_monitor role.
  DATA_SOURCE_NAME="postgresql://$PG_SUPERUSER@$PG_HOST:$PG_PORT/takt?sslmode=disable" \
    _monitoring_start postgres-exporter "$PG_EXPORTER_PORT" /metrics /usr/bin/prometheus-postgres-exporter \
    --web.listen-address="127.0.0.1:$PG_EXPORTER_PORT" \
    --extend.query-path="$TAKT_REPO_DIR/infra/prometheus/postgres-queries.yml" || return 1
  # Running ones pick up a changed config or rule file without losing their state.
  _monitoring_reload alertmanager "$ALERTMANAGER_PORT"
  _monitoring_reload prometheus "$PROMETHEUS_PORT"
  _monitoring_start alertmanager "$ALERTMANAGER_PORT" /-/ready /usr/bin/prometheus-alertmanager \
    --config.file="$adir/alertmanager.yml" --storage.path="$adir/data" \
    --web.listen-address="127.0.0.1:$ALERTMANAGER_PORT" --cluster.listen-address= || return 1
  _monitoring_start prometheus "$PROMETHEUS_PORT" /-/ready /usr/bin/prometheus \
    --config.file="$pdir/prometheus.yml" --storage.tsdb.path="$pdir/data" \
    --storage.tsdb.retention.time=15d --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle
}

monitoring_stop() {
  local c
  for c in prometheus alertmanager postgres-exporter node-exporter clickhouse-metrics; do stop_pid "$c" 30; done
}

monitoring_status() {
  local c port path
  for c in prometheus:$PROMETHEUS_PORT:/-/ready alertmanager:$ALERTMANAGER_PORT:/-/ready \
    postgres-exporter:$PG_EXPORTER_PORT:/metrics node-exporter:$NODE_EXPORTER_PORT:/metrics; do
    IFS=: read -r c port path <<<"$c"
    if is_running "$c" && curl -fsS -m 5 -o /dev/null "http://127.0.0.1:$port$path" 2>/dev/null; then
      printf '%-12s %-8s %s\n' "$c" up "http://127.0.0.1:$port pid $(cat "$(pid_file "$c")")"
    else
      printf '%-12s %-8s %s\n' "$c" down "http://127.0.0.1:$port"
    fi
  done
  _monitoring_firing
}

# One indented line naming the firing alerts, when Prometheus answers.
_monitoring_firing() {
  local firing
  firing="$(curl -fsS -m 5 "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/alerts" 2>/dev/null |
    jq -r '[.data.alerts[] | select(.state == "firing") | .labels.alertname] | unique | join(", ")' 2>/dev/null)" || return 0
  [[ -z "$firing" ]] || printf '%-12s %s\n' '' "firing: $firing"
}

monitoring_urls() {
  cat <<TXT
  Prometheus        http://127.0.0.1:$PROMETHEUS_PORT   (alerts: /alerts, targets: /targets)
  Alertmanager      http://127.0.0.1:$ALERTMANAGER_PORT
TXT
}
