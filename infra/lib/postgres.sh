# PostgreSQL 15 from Debian, already installed and running on the machine.
# We configure it (logical WAL, preload libraries), create roles and databases, and
# restart the cluster only when a setting that needs a restart actually changed.

PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
PG_SUPERUSER="${PG_SUPERUSER:-postgres}"

pg_super() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_SUPERUSER" "$@"; }

pg_cluster_version() { pg_lsclusters -h 2>/dev/null | awk '$2=="main"{print $1; exit}'; }

pg_ensure_running() {
  if pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then return 0; fi
  local v
  v="$(pg_cluster_version)"
  [[ -n "$v" ]] || { log_err "no PostgreSQL cluster found (pg_lsclusters)"; return 1; }
  log_info "starting PostgreSQL $v"
  pg_ctlcluster --skip-systemctl-redirect "$v" main start
  for _ in $(seq 1 60); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && return 0; sleep 0.5; done
  log_err "PostgreSQL did not become ready; see /var/log/postgresql/postgresql-$v-main.log"
  return 1
}

pg_install() {
  if ! dpkg -s "postgresql-$(pg_cluster_version)-partman" >/dev/null 2>&1; then
    log_info "installing pg_partman from Debian"
    apt_install "postgresql-$(pg_cluster_version)-partman"
  fi
}

# Secrets generated once per machine into the state folder; never in git.
pg_secrets() {
  local f
  f="$(state_dir secrets)/postgres.env"
  if [[ ! -f "$f" ]]; then
    umask 077
    {
      for role in OWNER APP DEBEZIUM AUDIT_OWNER AUDIT_WRITER; do
        echo "TAKT_PG_${role}_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
      done
    } >"$f"
  fi
  # shellcheck disable=SC1090
  source "$f"
}

pg_conf_dir() { printf '/etc/postgresql/%s/main/conf.d' "$(pg_cluster_version)"; }

# Settings live in one conf.d file (Debian's postgresql.conf includes conf.d), rewritten only
# when its content changes. ALTER SYSTEM cannot set pg_partman_bgw.* before the library loads.
pg_configure() {
  pg_ensure_running
  local conf desired
  conf="$(pg_conf_dir)/takt.conf"
  desired="$(cat "$TAKT_REPO_DIR/infra/postgres/takt.conf")"
  if [[ ! -f "$conf" ]] || [[ "$(cat "$conf")" != "$desired" ]]; then
    log_info "writing $conf"
    mkdir -p "$(dirname "$conf")"
    printf '%s\n' "$desired" >"$conf"
    chown postgres:postgres "$conf" 2>/dev/null || true
    pg_super -d postgres -c 'SELECT pg_reload_conf()' >/dev/null
    sleep 0.5
  fi
  local pending
  pending="$(pg_super -d postgres -Atc "select string_agg(name, ',') from pg_settings where pending_restart")"
  if [[ -n "$pending" ]]; then
    log_info "restarting PostgreSQL for: $pending"
    pg_ctlcluster --skip-systemctl-redirect "$(pg_cluster_version)" main restart
    pg_ensure_running
  fi
}

pg_bootstrap() {
  pg_secrets
  pg_super -d postgres \
    -v owner_pw="$TAKT_PG_OWNER_PASSWORD" -v app_pw="$TAKT_PG_APP_PASSWORD" \
    -v dbz_pw="$TAKT_PG_DEBEZIUM_PASSWORD" -v aowner_pw="$TAKT_PG_AUDIT_OWNER_PASSWORD" \
    -v awriter_pw="$TAKT_PG_AUDIT_WRITER_PASSWORD" -f "$TAKT_REPO_DIR/infra/postgres/bootstrap.sql"
  # Extensions that need a superuser to create; the migrations then find them present.
  pg_super -d takt -f "$TAKT_REPO_DIR/packages/db/sql/template.sql" -f "$TAKT_REPO_DIR/infra/postgres/extensions.sql"
  pg_super -d takt_audit -c 'REVOKE ALL ON DATABASE takt_audit FROM PUBLIC' \
    -c 'GRANT CONNECT ON DATABASE takt_audit TO takt_audit_writer'
}

pg_up() {
  pg_install
  pg_configure
  pg_bootstrap
  log_ok "PostgreSQL ready on $PG_HOST:$PG_PORT (wal_level=$(pg_super -d postgres -Atc 'show wal_level'))"
}

pg_status() {
  if pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
    printf '%-12s %-8s %s\n' postgres up "$PG_HOST:$PG_PORT wal_level=$(pg_super -d postgres -Atc 'show wal_level')"
  else
    printf '%-12s %-8s %s\n' postgres down "$PG_HOST:$PG_PORT"
  fi
}
