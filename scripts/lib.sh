# Shared by scripts/run and scripts/test. Sourced, not run.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"

ensure_venv() {
  # $1: requirements file. Reinstalls only when the file changed.
  local req="$1"
  if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
  fi
  local stamp=".venv/.installed-$(basename "$req")"
  local digest
  digest="$(cat requirements*.txt | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
    echo "$digest" > "$stamp"
  fi
  # shellcheck disable=SC1091
  . .venv/bin/activate
}

apt_install() {
  # Installs Debian packages when they are missing (root or passwordless sudo only).
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  echo "Installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

compile_messages() {
  command -v msgfmt >/dev/null 2>&1 || apt_install gettext
  python manage.py compilemessages --ignore ".venv" --ignore "node_modules" -v 0
}

ensure_env_file() {
  # Local secrets for the demo, generated once and kept out of git.
  if [ ! -f .env ]; then
    {
      echo "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
      echo "FIELD_ENCRYPTION_KEYS=$(python -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"
    } > .env
    echo "Wrote .env with a new SECRET_KEY and FIELD_ENCRYPTION_KEYS."
  fi
}

ensure_postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "Starting PostgreSQL…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
}

ensure_redis() {
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "Starting Redis…"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
}
