# typical_log.awk: BYTES (default 20 MB) of a typical build log on stdout --
# compiler lines, warnings, test results, timestamped service lines with ids
# and hashes -- deterministic for a SEED. zlib -6 keeps about 21 % of it
# (Laminar's 50 MB reference log kept 28 %). Used by bench_log and the log
# compression tests:  awk -v bytes=50000000 -f typical_log.awk
function hex(n,   s, i) { s = ""; for (i = 0; i < n; i++) s = s substr("0123456789abcdef", int(rand() * 16) + 1, 1); return s }
function word(   w) { split("alpha beta gamma delta parser lexer store cache queue index buffer socket worker config render", w, " "); return w[int(rand() * 15) + 1] }
BEGIN {
    srand(seed ? seed : 1); n = 0; limit = bytes ? bytes : 20000000
    while (n < limit) {
        r = rand(); m = int(rand() * 40); f = int(rand() * 400); pct = int(n * 100 / limit)
        if (r < 0.30)
            line = sprintf("[%3d%%] Building C object src/%s/CMakeFiles/%s.dir/%s_%d.c.o", pct, word(), word(), word(), f)
        else if (r < 0.45)
            line = sprintf("/usr/bin/cc -DNDEBUG -D_GNU_SOURCE -I/build/src/%s -I/build/include -O2 -g -Wall -Wextra -fPIC -MD -MT src/%s_%d.c.o -o src/%s_%d.c.o -c /build/src/%s/%s_%d.c", word(), word(), f, word(), f, word(), word(), f)
        else if (r < 0.55)
            line = sprintf("/build/src/%s/%s_%d.c:%d:%d: warning: unused variable '%s_%d' [-Wunused-variable]", word(), word(), f, int(rand() * 3000), int(rand() * 80), word(), int(rand() * 10000))
        else if (r < 0.75)
            line = sprintf("test_%s_%s_%d ... %s (%.4f s)", word(), word(), f, rand() < 0.97 ? "ok" : "FAILED", rand())
        else if (r < 0.90)
            line = sprintf("2026-12-06T%02d:%02d:%02d.%03dZ INFO %s[%d]: request id=%s took %.1f ms bytes=%d", int(rand() * 24), int(rand() * 60), int(rand() * 60), int(rand() * 1000), word(), int(rand() * 65536), hex(16), rand() * 100, int(rand() * 1000000))
        else
            line = sprintf("Downloading https://deb.example.org/pool/main/%s/%s_%d.%d-%d_amd64.deb (%d kB) sha256=%s", word(), word(), int(rand() * 10), int(rand() * 30), int(rand() * 9), int(rand() * 9000), hex(64))
        print line; n += length(line) + 1
    }
}
