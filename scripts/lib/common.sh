# Shared helpers for the benchmark scripts (sourced, not run).

# CPU seconds (user+system) a process and its threads used so far: /proc/PID/stat fields 14+15.
cpu_seconds() {
    local ticks
    ticks=$(awk '{print $14 + $15}' "/proc/$1/stat")
    echo "scale=3; $ticks / $(getconf CLK_TCK)" | bc
}

# Peak resident set size of a process, in MiB (VmHWM).
peak_rss_mib() {
    awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"
}

# Wait until a TCP port on 127.0.0.1 accepts connections (deadline in seconds).
wait_port() {
    local port=$1 deadline=$((SECONDS + ${2:-20}))
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || { echo "port $port did not open" >&2; return 1; }
        sleep 0.2
    done
}

# A free TCP port picked by the OS.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Start a private nginx with the RTMP module. Usage: start_nginx_rtmp DIR PORT [extra application lines]
start_nginx_rtmp() {
    local dir=$1 port=$2 extra=${3:-}
    mkdir -p "$dir/logs"
    cat >"$dir/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
rtmp {
  server {
    listen 127.0.0.1:$port;
    chunk_size 4096;
    application live {
      live on;
      record off;
      $extra
    }
  }
}
CONF
    nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/logs/stdout.log" 2>&1 &
    echo $!
}

# The release gateway binary, built if needed.
gateway_release_bin() {
    (cd "$REPO" && swift build -c release --product gateway >/dev/null 2>&1 && echo "$(swift build -c release --show-bin-path)/gateway")
}
