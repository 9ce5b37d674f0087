#!/usr/bin/env python3
"""The metrics endpoint under idle connections, on loopback only (127.0.0.1).

Starts `rehearse watch --metrics` on 8 channels, opens IDLE connections that send nothing (and one that
sends half a request), then times SCRAPES scrapes of /metrics, each on its own connection, and prints the
median, p99 and max in ms with the response size. Run it at two revisions to compare servers.
    scripts/metrics-idle.py [REHEARSE=.build/release/rehearse] [IDLE=1000] [SCRAPES=200]
"""
import resource, socket, statistics, subprocess, sys, time

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/rehearse"
idle_count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
scrapes = int(sys.argv[3]) if len(sys.argv) > 3 else 200
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
base, port = 46100, 46120
watch = subprocess.Popen([binary, "watch", "--primary", f"127.0.0.1:{base}-{base + 7}", "--standby",
                          f"127.0.0.1:{base + 8}-{base + 15}", "--metrics", f"127.0.0.1:{port}", "--duration", "10m"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def scrape(timeout=30.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    return data

try:
    deadline = time.time() + 15
    while True:
        try:
            if b"rehearse_watch_messages_on_both_total" in scrape():
                break
        except OSError:
            pass
        if time.time() > deadline:
            sys.exit("the watch did not serve its metrics within 15 s")
        time.sleep(0.05)
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(idle_count)]
    if idle:
        idle[0].sendall(b"GET /metr")
    times, size = [], 0
    for _ in range(scrapes):
        t = time.perf_counter()
        try:
            size = len(scrape())
        except OSError as e:
            size = 0
            print("scrape failed:", e)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(f"{idle_count} idle connections, {scrapes} scrapes of {size} bytes: "
          f"median {statistics.median(times):.2f} ms, p99 {times[int(0.99 * (len(times) - 1))]:.2f} ms, max {times[-1]:.2f} ms")
    for s in idle:
        s.close()
finally:
    watch.terminate()
    watch.wait()
