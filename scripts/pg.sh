#!/usr/bin/env bash
# Serveur PostgreSQL propre au projet : données dans .local/pg, 127.0.0.1:55432, superutilisateur postgres.
# Usage : scripts/pg.sh start|stop|status   (start est idempotent)
set -euo pipefail
cd "$(dirname "$0")/.."
D="$PWD/.local/pg"
PORT="${PGPORT_AGORA:-55432}"
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  echo "PostgreSQL introuvable (attendu sous /usr/lib/postgresql/*/bin) : lancez scripts/installer_systeme.sh" >&2
  exit 1
fi
# initdb et pg_ctl refusent root : on les lance alors en tant que postgres.
if [ "$(id -u)" -eq 0 ]; then EN="runuser -u postgres --"; else EN=""; fi

case "${1:-start}" in
  start)
    mkdir -p "$D"
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres:postgres "$D"
      # chaque dossier parent doit être traversable par l'utilisateur postgres
      p="$D"; while [ "$p" != "/" ]; do p="$(dirname "$p")"; chmod o+x "$p" 2>/dev/null || true; done
    fi
    if [ ! -f "$D/data/PG_VERSION" ]; then
      $EN "$PGBIN/initdb" -D "$D/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if $EN "$PGBIN/pg_ctl" -D "$D/data" status >/dev/null 2>&1; then
      exit 0
    fi
    $EN "$PGBIN/pg_ctl" -D "$D/data" -l "$D/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PORT -k $D -c max_connections=200" start >/dev/null
    echo "PostgreSQL démarré sur 127.0.0.1:$PORT (journal : .local/pg/server.log)"
    ;;
  stop)
    if [ -f "$D/data/PG_VERSION" ] && $EN "$PGBIN/pg_ctl" -D "$D/data" status >/dev/null 2>&1; then
      $EN "$PGBIN/pg_ctl" -D "$D/data" -m fast stop >/dev/null && echo "PostgreSQL arrêté"
    fi
    ;;
  status)
    $EN "$PGBIN/pg_ctl" -D "$D/data" status
    ;;
esac
