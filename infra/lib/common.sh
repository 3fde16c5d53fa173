# Shared helpers for infra/takt. Sourced, never executed.
# Everything a component writes (data, logs, pid files) lives under TAKT_STATE_DIR;
# downloaded artifacts (jars, plugin archives) live under TAKT_CACHE_DIR. Neither is in git.

TAKT_STATE_DIR="${TAKT_STATE_DIR:-$HOME/.local/state/takt}"
TAKT_CACHE_DIR="${TAKT_CACHE_DIR:-$HOME/.cache/takt}"
TAKT_REPO_DIR="${TAKT_REPO_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export TAKT_STATE_DIR TAKT_CACHE_DIR TAKT_REPO_DIR

log_info() { printf '\033[1;34m[takt]\033[0m %s\n' "$*" >&2; }
log_ok() { printf '\033[1;32m[takt]\033[0m %s\n' "$*" >&2; }
log_warn() { printf '\033[1;33m[takt]\033[0m %s\n' "$*" >&2; }
log_err() { printf '\033[1;31m[takt]\033[0m %s\n' "$*" >&2; }

state_dir() { # state_dir <component> -> creates and prints $TAKT_STATE_DIR/<component>
  local d="$TAKT_STATE_DIR/$1"
  mkdir -p "$d"
  printf '%s' "$d"
}

pid_file() { printf '%s/%s/pid' "$TAKT_STATE_DIR" "$1"; }
log_file() { printf '%s/%s/%s.log' "$TAKT_STATE_DIR" "$1" "$1"; }

# is_running <component>: the pid file names a live process that is still ours. After a reboot
# or a cleanup a pid can be reused by anything, so its command line must still hold the marker
# start_bg recorded (the command's last argument).
is_running() {
  local pf pid marker
  pf="$(pid_file "$1")"
  [[ -f "$pf" ]] || return 1
  pid="$(cat "$pf")"
  kill -0 "$pid" 2>/dev/null || return 1
  [[ -f "$pf.marker" && -r "/proc/$pid/cmdline" ]] || return 0
  marker="$(cat "$pf.marker")"
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker"
}

# start_bg <component> <cmd...>: start a detached process in its own session, log to its log file.
start_bg() {
  local name="$1"
  shift
  state_dir "$name" >/dev/null
  setsid nohup "$@" >>"$(log_file "$name")" 2>&1 </dev/null &
  echo $! >"$(pid_file "$name")"
  printf '%s' "${!#}" >"$(pid_file "$name").marker"
}

# stop_pid <component> [timeout_s]: TERM the recorded process group, KILL after the timeout.
stop_pid() {
  local name="$1" timeout="${2:-30}" pf pid i
  pf="$(pid_file "$name")"
  [[ -f "$pf" ]] || return 0
  pid="$(cat "$pf")"
  # A damaged pid file must never become `kill -- -1` (every process) or a stranger's group.
  if ! [[ "$pid" =~ ^[0-9]+$ ]] || ((pid <= 1)) || ! is_running "$name"; then
    rm -f "$pf" "$pf.marker"
    return 0
  fi
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log_warn "$name did not stop within ${timeout}s, killing"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pf" "$pf.marker"
}

# wait_port <host> <port> <timeout_s>
wait_port() {
  local host="$1" port="$2" timeout="$3" i
  for ((i = 0; i < timeout * 5; i++)); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# wait_http <url> <timeout_s>: until the URL answers 2xx.
wait_http() {
  local url="$1" timeout="$2" i
  for ((i = 0; i < timeout * 2; i++)); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.5
  done
  return 1
}

# fail_with_log <component> <hint>: print the tail of the component's log and a hint, then fail.
fail_with_log() {
  local name="$1" hint="$2" lf
  lf="$(log_file "$name")"
  log_err "$name failed to start. Last lines of $lf:"
  [[ -f "$lf" ]] && tail -n 30 "$lf" >&2
  log_err "hint: $hint"
  return 1
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# apt_install <pkg...>: install Debian packages that are missing; refresh the index once per run.
TAKT_APT_UPDATED="${TAKT_APT_UPDATED:-0}"
apt_install() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]} == 0)) && return 0
  local sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  if [[ "$TAKT_APT_UPDATED" == 0 ]]; then
    $sudo apt-get update -q >/dev/null
    TAKT_APT_UPDATED=1
  fi
  log_info "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
