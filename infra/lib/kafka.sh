# Kafka 4.x in KRaft mode (one JVM: broker + controller), loopback only, for the local stack.
# Sourced after common.sh, never executed. There is no Kafka distribution tarball: the broker,
# the CLI tools and the Connect worker are plain jars resolved by Maven from infra/maven/pom.xml
# into $TAKT_CACHE_DIR/kafka-<ver>/libs and run as `java -cp "libs/*" <main class>`.
#
# Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_HEAP_OPTS (-Xms256m -Xmx768m),
#      KAFKA_START_TIMEOUT (120 s), TAKT_JAVA (java on PATH, or $JAVA_HOME/bin/java).
# Functions: kafka_install, kafka_start, kafka_stop, kafka_status, kafka_bootstrap,
#            kafka_create_topics [--partitions N] [--config k=v]... <topic>...,
#            kafka_topics <TopicCommand args...>, kafka_run_tool <main class> <args...>

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
# The one Kafka message ceiling (docs/limits.md): broker message.max.bytes, which every topic
# inherits, and Connect's producer max.request.size are rendered from it. Equal to
# KAFKA_MESSAGE_MAX_BYTES in packages/config/src/limits.ts (a unit test compares them).
KAFKA_MESSAGE_MAX_BYTES=4194304

# Main classes (Kafka 4.x): the broker and StorageTool are still Scala classes in kafka_2.13;
# the other CLI tools moved to org.apache.kafka.tools in kafka-tools.
KAFKA_MAIN_BROKER=kafka.Kafka
KAFKA_MAIN_STORAGE=kafka.tools.StorageTool
KAFKA_MAIN_TOPICS=org.apache.kafka.tools.TopicCommand
# shellcheck disable=SC2034 # for callers: kafka_run_tool "$KAFKA_MAIN_CONSOLE_CONSUMER" ...
KAFKA_MAIN_CONSOLE_CONSUMER=org.apache.kafka.tools.consumer.ConsoleConsumer
# shellcheck disable=SC2034
KAFKA_MAIN_CONSOLE_PRODUCER=org.apache.kafka.tools.ConsoleProducer
KAFKA_MAIN_CONNECT=org.apache.kafka.connect.cli.ConnectDistributed

_kafka_pom() { printf '%s/infra/maven/pom.xml' "$TAKT_REPO_DIR"; }

# _kafka_pom_prop <name>: a <properties> value of the pom, read without starting Maven.
_kafka_pom_prop() {
  sed -n "s:.*<$1>\([^<]*\)</$1>.*:\1:p" "$(_kafka_pom)" | head -n 1
}

kafka_version() { _kafka_pom_prop version.kafka; }
debezium_version() { _kafka_pom_prop version.debezium; }
kafka_home() { printf '%s/kafka-%s' "$TAKT_CACHE_DIR" "$(kafka_version)"; }
kafka_libs() { printf '%s/libs' "$(kafka_home)"; }
debezium_home() { printf '%s/debezium-%s' "$TAKT_CACHE_DIR" "$(debezium_version)"; }
debezium_plugin_dir() { printf '%s/plugins' "$(debezium_home)"; }
kafka_bootstrap() { printf '127.0.0.1:%s' "$KAFKA_PORT"; }

kafka_java() {
  if [[ -n "${TAKT_JAVA:-}" ]]; then
    printf '%s' "$TAKT_JAVA"
  elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    printf '%s' "$JAVA_HOME/bin/java"
  else
    printf 'java'
  fi
}

# The marker holds the pom's checksum: a version bump or a new dependency re-resolves,
# anything else skips Maven entirely.
_kafka_pom_sum() { sha256sum "$(_kafka_pom)" | cut -d' ' -f1; }

_kafka_installed() {
  local sum
  sum="$(_kafka_pom_sum)"
  [[ -f "$(kafka_home)/.installed" && "$(cat "$(kafka_home)/.installed")" == "$sum" ]] &&
    [[ -f "$(debezium_home)/.installed" && "$(cat "$(debezium_home)/.installed")" == "$sum" ]]
}

# kafka_install: Kafka broker/tools/Connect jars and the Debezium Postgres plugin, once per pom.
kafka_install() {
  if _kafka_installed; then
    return 0
  fi
  command -v mvn >/dev/null || {
    log_err "mvn not found: Maven is needed once to fetch the Kafka jars (apt-get install maven)"
    return 1
  }
  local kv dv home dhome sum tmp t0
  kv="$(kafka_version)" dv="$(debezium_version)" home="$(kafka_home)" dhome="$(debezium_home)"
  sum="$(_kafka_pom_sum)"
  [[ -n "$kv" && -n "$dv" ]] || { log_err "cannot read version.kafka/version.debezium from $(_kafka_pom)"; return 1; }
  log_info "resolving Kafka $kv + Debezium $dv with Maven (first time only, cached in ~/.m2)"
  t0=$SECONDS
  mkdir -p "$TAKT_CACHE_DIR"
  tmp="$(mktemp -d "$TAKT_CACHE_DIR/.kafka-install.XXXXXX")"
  # One Maven run copies every artifact, the plugin archive included; the archive is moved out
  # of libs/ so it never lands on a JVM classpath.
  if ! mvn -q -B -f "$(_kafka_pom)" dependency:copy-dependencies \
    -DoutputDirectory="$tmp/libs" -DincludeScope=runtime >"$tmp/mvn.log" 2>&1; then
    log_err "Maven failed resolving $(_kafka_pom):"
    tail -n 40 "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    return 1
  fi
  local archive
  archive="$tmp/libs/debezium-connector-postgres-$dv-plugin.tar.gz"
  [[ -f "$archive" ]] || { log_err "Maven did not deliver $(basename "$archive")"; rm -rf "$tmp"; return 1; }
  mkdir -p "$tmp/plugins"
  tar -xzf "$archive" -C "$tmp/plugins"
  rm -f "$tmp/libs/"*.tar.gz
  [[ -f "$tmp/plugins/debezium-connector-postgres/debezium-connector-postgres-$dv.jar" ]] || {
    log_err "unexpected layout of $(basename "$archive")"
    rm -rf "$tmp"
    return 1
  }

  rm -rf "$home" "$dhome"
  mkdir -p "$home" "$dhome"
  mv "$tmp/libs" "$home/libs"
  mv "$tmp/plugins" "$dhome/plugins"
  rm -rf "$tmp"
  printf '%s\n' "$sum" >"$home/.installed"
  printf '%s\n' "$sum" >"$dhome/.installed"
  log_ok "Kafka $kv ($(find "$home/libs" -name '*.jar' | wc -l) jars) and Debezium $dv plugin installed in $((SECONDS - t0))s"
}

# kafka_run_tool <main class> <args...>: run a Kafka CLI class from the cached jars, quietly.
kafka_run_tool() {
  local main="$1"
  shift
  kafka_install || return 1
  "$(kafka_java)" -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$TAKT_REPO_DIR/infra/kafka/log4j2-tools.yaml" \
    -cp "$(kafka_libs)/*" "$main" "$@"
}

# kafka_topics <args...>: TopicCommand against the local broker.
kafka_topics() { kafka_run_tool "$KAFKA_MAIN_TOPICS" --bootstrap-server "$(kafka_bootstrap)" "$@"; }

# _kafka_is_ours <pid>: the pid is a JVM running <main class> (guards against pid reuse after
# a reboot, when the state dir still holds an old pid file).
_kafka_is_ours() {
  local pid="$1" main="$2"
  [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF " $main "
}

# _kafka_running <component> <main class>: is_running + the process really is ours.
_kafka_running() {
  local pf
  pf="$(pid_file "$1")"
  is_running "$1" && _kafka_is_ours "$(cat "$pf")" "$2"
}

# _kafka_agent <kafka|connect> <port>: the JMX exporter flag when prometheus.sh is loaded.
_kafka_agent() {
  if declare -F jmx_agent_opts >/dev/null; then jmx_agent_opts "$1" "$2"; fi
}

_kafka_rotate_log() {
  local lf
  lf="$(log_file "$1")"
  if [[ -f "$lf" ]] && (($(stat -c %s "$lf") > 50 * 1024 * 1024)); then
    mv -f "$lf" "$lf.1"
  fi
}

_kafka_render() {
  local dir="$1" tmpl="$TAKT_REPO_DIR/infra/kafka/server.properties"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    -e "s|@KAFKA_DATA_DIR@|$dir/data|g" -e "s|@KAFKA_MESSAGE_MAX_BYTES@|$KAFKA_MESSAGE_MAX_BYTES|g" \
    "$tmpl" >"$dir/server.properties"
}

# Format the KRaft storage once; the cluster id is kept in the state dir.
_kafka_format() {
  local dir="$1" cid
  [[ -f "$dir/data/meta.properties" ]] && return 0
  if [[ -s "$dir/cluster-id" ]]; then
    cid="$(cat "$dir/cluster-id")"
  else
    cid="$(kafka_run_tool "$KAFKA_MAIN_STORAGE" random-uuid | tail -n 1)"
    [[ -n "$cid" ]] || { log_err "StorageTool random-uuid returned nothing"; return 1; }
    printf '%s\n' "$cid" >"$dir/cluster-id"
  fi
  log_info "formatting KRaft storage in $dir/data (cluster id $cid)"
  mkdir -p "$dir/data"
  kafka_run_tool "$KAFKA_MAIN_STORAGE" format --ignore-formatted \
    --cluster-id "$cid" --config "$dir/server.properties" >>"$(log_file kafka)" 2>&1 ||
    fail_with_log kafka "StorageTool format failed; to start from scratch: kafka_stop && rm -rf $dir"
}

kafka_start() {
  if _kafka_running kafka "$KAFKA_MAIN_BROKER"; then
    log_ok "Kafka already running on $(kafka_bootstrap) (pid $(cat "$(pid_file kafka)"))"
    return 0
  fi
  rm -f "$(pid_file kafka)"
  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    port_free "$p" || {
      log_err "port $p is taken by a process that is not ours (KAFKA_PORT / KAFKA_CONTROLLER_PORT to move)"
      return 1
    }
  done
  kafka_install || return 1
  local dir t0
  t0=$SECONDS
  dir="$(state_dir kafka)"
  _kafka_render "$dir" || return 1
  _kafka_format "$dir" || return 1
  _kafka_rotate_log kafka
  log_info "starting Kafka $(kafka_version) (KRaft) on $(kafka_bootstrap)"
  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS and the agent are lists of JVM flags
  start_bg kafka "$(kafka_java)" $KAFKA_HEAP_OPTS $(_kafka_agent kafka "${KAFKA_METRICS_PORT:-9404}") -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$TAKT_REPO_DIR/infra/kafka/log4j2.yaml" -Dkafka.logs.dir="$dir" \
    -cp "$(kafka_libs)/*" "$KAFKA_MAIN_BROKER" "$dir/server.properties"
  # Ready = the broker answers a metadata request (TopicCommand --list), not just an open port.
  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! is_running kafka; then
      fail_with_log kafka "the broker exited; a stale/foreign data dir? (rm -rf $dir/data to reset)"
      return 1
    fi
    if wait_port 127.0.0.1 "$KAFKA_PORT" 1 && kafka_topics --list >/dev/null 2>&1; then
      log_ok "Kafka ready on $(kafka_bootstrap) in $((SECONDS - t0))s (pid $(cat "$(pid_file kafka)"))"
      return 0
    fi
    sleep 1
  done
  fail_with_log kafka "no metadata answer from $(kafka_bootstrap) within ${KAFKA_START_TIMEOUT}s (KAFKA_START_TIMEOUT)"
}

kafka_stop() {
  local pf
  pf="$(pid_file kafka)"
  if [[ -f "$pf" ]] && ! _kafka_running kafka "$KAFKA_MAIN_BROKER"; then
    rm -f "$pf" # stale: the pid is gone or belongs to something else now
  fi
  [[ -f "$pf" ]] || { log_ok "Kafka not running"; return 0; }
  if _kafka_running connect "$KAFKA_MAIN_CONNECT"; then
    log_warn "Kafka Connect is still running; stop it first (connect_stop)"
  fi
  log_info "stopping Kafka (pid $(cat "$pf"))"
  stop_pid kafka 60
  log_ok "Kafka stopped"
}

# kafka_status: one line in the stack's status format ("kafka  up|down  detail"); always exit 0.
kafka_status() {
  if _kafka_running kafka "$KAFKA_MAIN_BROKER"; then
    local pid
    pid="$(cat "$(pid_file kafka)")"
    printf '%-12s %-8s %s\n' kafka up "$(kafka_bootstrap) (controller :$KAFKA_CONTROLLER_PORT) pid $pid rss $(($(ps -o rss= -p "$pid") / 1024))MiB"
  else
    printf '%-12s %-8s %s\n' kafka down "$(kafka_bootstrap)"
  fi
}

# kafka_create_topics [--partitions N] [--config key=value]... <topic>...
# Creates the topics that don't exist yet (one --list call when nothing is missing). Options
# apply to every topic named after them on the same call; replication factor is always 1.
kafka_create_topics() {
  local partitions=1 configs=() topics=() existing
  while (($#)); do
    case "$1" in
      --partitions) partitions="$2"; shift 2 ;;
      --config) configs+=(--config "$2"); shift 2 ;;
      --*) log_err "kafka_create_topics: unknown option $1"; return 1 ;;
      *) topics+=("$1"); shift ;;
    esac
  done
  ((${#topics[@]})) || return 0
  # Fail fast when nothing listens (the admin client would otherwise retry for 60 s).
  wait_port 127.0.0.1 "$KAFKA_PORT" 2 || {
    log_err "kafka_create_topics: nothing listens on $(kafka_bootstrap) (kafka_start first)"
    return 1
  }
  existing="$(kafka_topics --list 2>/dev/null)" || {
    log_err "kafka_create_topics: broker at $(kafka_bootstrap) is not answering (kafka_start first)"
    return 1
  }
  local t created=()
  for t in "${topics[@]}"; do
    grep -qxF -- "$t" <<<"$existing" && continue
    kafka_topics --create --if-not-exists --topic "$t" --partitions "$partitions" \
      --replication-factor 1 "${configs[@]}" >/dev/null || {
      log_err "could not create topic $t"
      return 1
    }
    created+=("$t")
  done
  if ((${#created[@]})); then
    log_ok "created topics: ${created[*]}"
  fi
}
