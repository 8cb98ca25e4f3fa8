"""Driver for bench/recovery (see there). Standard library only."""
import os, random, shutil, socket, struct, subprocess, sys, tempfile, threading, time

TOP = sys.argv[1]
SPIGOT = os.path.join(TOP, "build", "spigot")
ENV = dict(os.environ, SPIGOTD=os.path.join(TOP, "build", "spigotd"))
WINDOW = 5.0          # seconds watched after the SAs are lost

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ip_udp(seq, src="10.0.0.10", dst="10.0.2.10"):
    payload = struct.pack("!Id", seq, time.monotonic()) + b"x" * 52
    udp = struct.pack("!HHHH", 40000, 40001, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), seq & 0xFFFF, 0, 64, 17, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + udp

def cli(lab, router, *cmd, stdin=None):
    if stdin is None:
        return subprocess.run([SPIGOT, "lab", "exec", lab, router, *cmd], env=ENV,
                              capture_output=True, text=True, timeout=30).stdout
    return subprocess.run([SPIGOT, "--control", os.path.join(lab, "run", router + ".sock")],
                          input=stdin, env=ENV, capture_output=True, text=True, timeout=30).stdout

def make_lab(seed="seed"):
    lab = tempfile.mkdtemp(prefix="spigot-bench-recovery.")
    for name in ("router-a.cfg", "router-b.cfg"):
        text = open(os.path.join(TOP, "labs", seed, name)).read()
        # Protect the inside networks (the seed protects only the routers' own
        # inside addresses) so that a host-to-host stream is carried by IPsec.
        text = text.replace("access-list 150 permit ip host 10.0.0.1 host 10.0.2.2",
                            "access-list 150 permit ip 10.0.0.0 0.0.0.255 10.0.2.0 0.0.0.255")
        text = text.replace("access-list 150 permit ip host 10.0.2.2 host 10.0.0.1",
                            "access-list 150 permit ip 10.0.2.0 0.0.0.255 10.0.0.0 0.0.0.255")
        open(os.path.join(lab, name), "w").write(text)
    base = random.randrange(30000, 40000, 8)
    conf = open(os.path.join(TOP, "labs", seed, "lab.conf")).read()
    conf = "\n".join(l for l in conf.splitlines() if not l.startswith("baseport"))
    open(os.path.join(lab, "lab.conf"), "w").write("baseport %d\n%s\n" % (base, conf))
    # lab.conf order: link A-B (base, base+1), stub A (base+2 -> far base+3),
    # stub B (base+4 -> far base+5)
    return lab, base

def restart_b(lab, feature):
    """IKEv2: B's spigotd dies (SIGKILL, nothing said) and starts again from
    its config, with or without the feature; clear would send Deletes."""
    cfg = os.path.join(lab, "router-b.cfg")
    if not feature:
        text = open(cfg).read().replace("\ncrypto isakmp invalid-spi-recovery\n", "\n")
        open(cfg, "w").write(text)
    subprocess.run([SPIGOT, "lab", "kill", lab, "B"], env=ENV, check=True, capture_output=True, timeout=30)
    subprocess.run([SPIGOT, "lab", "start", lab, "B"], env=ENV, check=True, capture_output=True, timeout=30)

def add_qcd(lab, qcd):
    """The QCD rows: A checks B's liveness (`dpd 10 2 periodic`); each router
    with its own secret file (QCD on) or QCD off."""
    for r in ("a", "b"):
        cfg = os.path.join(lab, "router-%s.cfg" % r)
        text = open(cfg).read()
        line = ("crypto ikev2 quick-crash-detection secret-file %s\n" % os.path.join(lab, "qcd-%s.key" % r)
                if qcd else "no crypto ikev2 quick-crash-detection\n")
        text = text.replace("crypto ipsec transform-set v2esp", line + "crypto ipsec transform-set v2esp", 1)
        if r == "a":
            text = text.replace(" lifetime 180\n", " lifetime 180\n dpd 10 2 periodic\n", 1)
        open(cfg, "w").write(text)

def run(rate, feature, v2=False, qcd=None, window=WINDOW):
    lab, base = make_lab("seed-ikev2" if v2 else "seed")
    if qcd is not None:
        add_qcd(lab, qcd)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.bind(("127.0.0.1", base + 3))
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", base + 5))
    rx.settimeout(0.2)
    try:
        subprocess.run([SPIGOT, "lab", "up", lab], env=ENV, check=True, capture_output=True, timeout=30)
        if not feature and not v2:
            cli(lab, "B", stdin="configure terminal\nno crypto isakmp invalid-spi-recovery\nend\n")
        received = {}
        stop = threading.Event()

        def receiver():
            while not stop.is_set():
                try:
                    data = rx.recv(2048)
                except socket.timeout:
                    continue
                if len(data) >= 40 and data[9] == 17:
                    seq, _ = struct.unpack("!Id", data[28:40])
                    received.setdefault(seq, time.monotonic())
        th = threading.Thread(target=receiver, daemon=True)
        th.start()
        sent = {}
        interval = 1.0 / rate
        seq = 0
        t_start = time.monotonic()
        t_clear = None
        nxt = t_start
        # Warm up until packets flow, at most 10 s.
        while True:
            now = time.monotonic()
            if now >= nxt:
                sent[seq] = now
                tx.sendto(ip_udp(seq), ("127.0.0.1", base + 2))
                seq += 1
                nxt += interval
            if t_clear is None and len(received) >= rate // 2 and now - t_start > 1.0:
                if v2:
                    # Counted from B's return: what was sent while it was
                    # down met no router, not an unknown SPI.
                    restart_b(lab, feature)
                else:
                    cli(lab, "B", "clear", "crypto", "isakmp")
                    cli(lab, "B", "clear", "crypto", "sa")
                t_clear = time.monotonic()
                seq_clear = seq
                nxt = t_clear  # no catch-up burst for the time the CLI took
            if t_clear is None and now - t_start > 10:
                raise RuntimeError("the tunnel never came up")
            if t_clear is not None and now - t_clear > window:
                break
            time.sleep(max(0.0, min(nxt - time.monotonic(), 0.001)))
        time.sleep(0.5)
        stop.set()
        th.join()
        after = [s for s in range(seq_clear, seq)]
        lost = [s for s in after if s not in received]
        if not lost:
            return 0.0, 0, True
        first_lost = lost[0]
        later = [s for s in after if s > first_lost and s in received]
        if not later:
            return window * 1000, len(lost), False
        first_ok = later[0]
        t = (received[first_ok] - sent[first_lost]) * 1000
        lost_before = len([s for s in lost if s < first_ok])
        return t, lost_before, True
    finally:
        subprocess.run([SPIGOT, "lab", "down", lab], env=ENV, capture_output=True, timeout=30)
        tx.close()
        rx.close()
        shutil.rmtree(lab, ignore_errors=True)

results = {}
for rate in (100, 1000):
    for feature in (True, False):
        t, lost, ok = run(rate, feature)
        results[(rate, feature)] = (t, lost, ok)
        state = "recovered in %8.1f ms" % t if ok else "not recovered in %.0f s  " % WINDOW
        print("%5d pps  %-8s %s, %d packets lost" %
              (rate, "ISR on" if feature else "ISR off", state, lost), flush=True)
# IKEv2 (labs/seed-ikev2): B restarts instead of clearing (clear sends Deletes).
for rate in (100, 1000):
    for feature in (True, False):
        t, lost, ok = run(rate, feature, v2=True)
        state = "recovered in %8.1f ms" % t if ok else "not recovered in %.0f s  " % WINDOW
        print("%5d pps  %-8s %s, %d packets lost (IKEv2, B restarted)" %
              (rate, "ISR on" if feature else "ISR off", state, lost), flush=True)
# IKEv2 without the feature, B restarted: only A's DPD (10 s of silence,
# then checks 2 s apart) finds out; with Quick Crash Detection (RFC 6290) the
# restarted B answers the first check with its token and A starts again at
# once, instead of after five unanswered retransmissions.  One run each; the
# time depends on where in A's 10 s DPD interval the restart falls.
QCD_WINDOW = 30.0
for qcd in (False, True):
    t, lost, ok = run(100, False, v2=True, qcd=qcd, window=QCD_WINDOW)
    state = "recovered in %8.1f ms" % t if ok else "not recovered in %.0f s  " % QCD_WINDOW
    print("%5d pps  %-8s %s, %d packets lost (IKEv2, B restarted, DPD 10 s%s)" %
          (100, "ISR off", state, lost, ", QCD" if qcd else " alone"), flush=True)
t_on = results[(100, True)][0]
t_off = results[(100, False)][0]
print("time to recover at 100 pps, ISR on over ISR off (off capped at the %.0f s window)" % WINDOW)
print("ratio: %.4f" % (max(t_on, 0.001) / max(t_off, 0.001)))
