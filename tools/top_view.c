// top_view: drawing pikoci-top with ncursesw. A frame is erase() + the
// panels + one refresh(): curses compares with what the terminal shows and
// writes only the difference, and the loop calls this only when the model,
// the mode or the clock (elapsed times) moved.
//
// The screen is a header (server, state, builds/min, sparkline), the
// panels stacked -- workers, running, queue, finished, resources -- and a
// footer (keys, or the last command's outcome). Panels get rows by
// priority; finished builds take what is left, so any height from a dozen
// lines up stays readable, and each panel scrolls to keep the selected
// build in sight. Text is cut on UTF-8 boundaries to the width.
#include "top.h"
#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define S_SPARK 20                  // minutes in the sparkline

enum { C_OK = 1, C_FAIL, C_ERR, C_WARN, C_RUN, C_DOWN, C_DIM };

static bool s_utf8;

int
top_view_open(void)
{
    setlocale(LC_ALL, "");
    s_utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
    if (!initscr())
        return -1;
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    if (has_colors()) {
        start_color();
        use_default_colors();
        init_pair(C_OK, COLOR_GREEN, -1);
        init_pair(C_FAIL, COLOR_RED, -1);
        init_pair(C_ERR, COLOR_MAGENTA, -1);
        init_pair(C_WARN, COLOR_YELLOW, -1);
        init_pair(C_RUN, COLOR_CYAN, -1);
        init_pair(C_DOWN, COLOR_WHITE, COLOR_RED);
        init_pair(C_DIM, COLOR_BLUE, -1);
    }
    return 0;
}

void
top_view_close(void)
{
    endwin();
}

// --- text

// Write s at (y, x), at most w columns (a code point is taken as one).
static void
s_put(int y, int x, int w, attr_t attr, const char *s)
{
    if (w <= 0 || y < 0 || y >= LINES || x >= COLS)
        return;
    if (x + w > COLS)
        w = COLS - x;
    int cols = 0;
    size_t bytes = 0;
    while (s[bytes] && cols < w) {
        size_t n = 1;
        while (((unsigned char) s[bytes + n] & 0xC0) == 0x80)
            n++;
        bytes += n;
        cols++;
    }
    attron(attr);
    mvaddnstr(y, x, s, (int) bytes);
    attroff(attr);
}

static void
s_putf(int y, int x, int w, attr_t attr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
s_putf(int y, int x, int w, attr_t attr, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    s_put(y, x, w, attr, buf);
}

// "4.2s", "42s", "3m07s", "2h05m", "3d04h"
static const char *
s_span(int64_t ms, char *buf, size_t len)
{
    if (ms < 0)
        ms = 0;
    int64_t s = ms / 1000;
    if (ms < 10000)
        snprintf(buf, len, "%.1fs", ms / 1000.0);
    else
    if (s < 60)
        snprintf(buf, len, "%llds", (long long) s);
    else
    if (s < 3600)
        snprintf(buf, len, "%lldm%02llds", (long long) (s / 60), (long long) (s % 60));
    else
    if (s < 86400)
        snprintf(buf, len, "%lldh%02lldm", (long long) (s / 3600), (long long) (s % 3600 / 60));
    else
        snprintf(buf, len, "%lldd%02lldh", (long long) (s / 86400),
                 (long long) (s % 86400 / 3600));
    return buf;
}

static attr_t
s_status_attr(const char *status)
{
    if (!has_colors() || !status)
        return A_NORMAL;
    if (!strcmp(status, "succeeded"))
        return COLOR_PAIR(C_OK);
    if (!strcmp(status, "failed"))
        return COLOR_PAIR(C_FAIL) | A_BOLD;
    if (!strcmp(status, "errored"))
        return COLOR_PAIR(C_ERR) | A_BOLD;
    if (!strcmp(status, "cancelled") || !strcmp(status, "warning"))
        return COLOR_PAIR(C_WARN);
    if (!strcmp(status, "started"))
        return COLOR_PAIR(C_RUN);
    return A_NORMAL;
}

// --- the rows the operator selects among

size_t
top_view_row_count(top_app_t *app)
{
    const top_build_t *const *rows;
    return top_model_running(app->model, &rows) + top_model_queue(app->model, &rows)
         + top_model_finished(app->model, &rows);
}

const top_build_t *
top_view_row(top_app_t *app, size_t i)
{
    const top_build_t *const *rows;
    size_t n = top_model_running(app->model, &rows);
    if (i < n)
        return rows[i];
    i -= n;
    n = top_model_queue(app->model, &rows);
    if (i < n)
        return rows[i];
    i -= n;
    n = top_model_finished(app->model, &rows);
    return i < n ? rows[i] : NULL;
}

// Rows move as builds start and finish: the selection follows its build.
static void
s_sync_selection(top_app_t *app)
{
    size_t n = top_view_row_count(app);
    const top_build_t *b = top_view_row(app, app->selected);
    char key[512];
    if (b)
        snprintf(key, sizeof key, "%s/%s/%s", b->pipeline, b->job, b->number);
    if (app->sel_key[0] && (!b || strcmp(key, app->sel_key))) {
        for (size_t i = 0; i < n; i++) {
            b = top_view_row(app, i);
            snprintf(key, sizeof key, "%s/%s/%s", b->pipeline, b->job, b->number);
            if (!strcmp(key, app->sel_key)) {
                app->selected = i;
                return;
            }
        }
    }
    if (n && app->selected >= n)
        app->selected = n - 1;
    b = top_view_row(app, app->selected);
    if (b)
        snprintf(app->sel_key, sizeof app->sel_key, "%s/%s/%s", b->pipeline, b->job, b->number);
}

// --- the panels

static void
s_header(top_app_t *app, int64_t now_ms)
{
    bool up = top_feed_connected(app->feed);
    attr_t bar = A_REVERSE;
    move(0, 0);
    attron(bar);
    hline(' ', COLS);
    attroff(bar);
    char buf[512];
    snprintf(buf, sizeof buf, " pikoci-top  %s  ", top_feed_endpoint(app->feed));
    s_put(0, 0, COLS, bar | A_BOLD, buf);
    int x = (int) strlen(buf);
    snprintf(buf, sizeof buf, "%s%s%s", up ? "" : " ", top_feed_state(app->feed), up ? "" : " ");
    attr_t st = up ? bar : (has_colors() ? COLOR_PAIR(C_DOWN) | A_BOLD : A_BOLD);
    s_put(0, x, COLS - x, st, buf);
    x += (int) strlen(buf) + 2;
    // right-aligned: filter, rate, sparkline (as wide as fits), clock
    const char *filter = top_model_filter(app->model);
    time_t t = (time_t) (now_ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    char clock[16];
    strftime(clock, sizeof clock, "%H:%M", &tm);
    char left[300];
    snprintf(left, sizeof left, "%s%s%s%.1f builds/min ", filter ? "filter " : "",
             filter ? filter : "", filter ? "  " : "", top_model_rate(app->model, now_ms));
    int room = COLS - x - (int) strlen(left) - (int) strlen(clock) - 4;
    int width = room > S_SPARK ? S_SPARK : room;
    if (room < 0)
        return;
    int counts[S_SPARK], max = 0;
    top_model_per_minute(app->model, now_ms, counts, S_SPARK);
    for (int i = S_SPARK - width; i < S_SPARK; i++)
        max = counts[i] > max ? counts[i] : max;
    static const char *const bars[] = { "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
        "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88" };
    static const char ascii[] = "_.-:=+*#";
    char spark[S_SPARK * 3 + 1] = "";
    size_t len = 0;
    for (int i = S_SPARK - width; i < S_SPARK; i++) {
        int level = max ? (counts[i] * 7 + max - 1) / max : 0;
        const char *c = !counts[i] ? " " : s_utf8 ? bars[level] : (char[2]) { ascii[level], 0 };
        size_t n = strlen(c);
        memcpy(spark + len, c, n + 1);
        len += n;
    }
    int at = COLS - (int) strlen(left) - width - (int) strlen(clock) - 3;
    s_put(0, at, COLS - at, bar, left);
    at += (int) strlen(left);
    s_put(0, at, width, bar, spark);
    s_put(0, COLS - (int) strlen(clock) - 2, (int) strlen(clock) + 1, bar, clock);
}

static void
s_title(int y, const char *name, size_t count, const char *extra)
{
    s_putf(y, 0, COLS, A_BOLD | A_UNDERLINE, "%s (%zu)%s", name, count, extra ? extra : "");
}

// First row shown so that the selected one (sel; -1: none here) is in sight.
static size_t
s_scroll(long sel, size_t rows, size_t shown)
{
    if (sel < 0 || shown == 0 || (size_t) sel < shown)
        return 0;
    size_t first = (size_t) sel - shown + 1;
    return first + shown > rows ? rows - shown : first;
}

static int
s_name_width(const top_build_t *const *rows, size_t n, size_t first, size_t shown)
{
    int w = 8;
    for (size_t i = first; i < first + shown && i < n; i++) {
        int l = (int) (strlen(rows[i]->pipeline) + strlen(rows[i]->job)
                     + strlen(rows[i]->number) + 3);
        w = l > w ? l : w;
    }
    return w > COLS / 3 ? COLS / 3 : w;
}

// One build row: selection bar, "p/j #n", then the panel's own columns.
static void
s_build_row(top_app_t *app, int y, const top_build_t *b, int namew, bool selected,
            int64_t now)
{
    (void) app;
    attr_t sel = selected ? A_REVERSE : A_NORMAL;
    char name[512], a[64], c[64];
    snprintf(name, sizeof name, "%s/%s #%s", b->pipeline, b->job, b->number);
    if (selected) {
        move(y, 0);
        attron(A_REVERSE);
        hline(' ', COLS);
        attroff(A_REVERSE);
    }
    s_putf(y, 0, COLS, sel, "%s", selected ? ">" : " ");
    s_put(y, 1, namew, sel | A_BOLD, name);
    int x = namew + 2;
    if (!strcmp(b->status, "started")) {
        s_span(b->started_ms ? now - b->started_ms : 0, a, sizeof a);
        s_putf(y, x, COLS - x, sel | s_status_attr(b->status), "%-9s %7s  %-16.16s %s",
               "running", a, b->worker ? b->worker : "-", b->step ? b->step : "");
    }
    else
    if (!top_status_done(b->status)) {
        s_span(b->created_ms ? now - b->created_ms : 0, a, sizeof a);
        const char *st = !strcmp(b->status, "waiting_for_approval") ? "approval" : b->status;
        s_putf(y, x, COLS - x, sel, "%-9s %7s  %s", st, a,
               b->wait ? b->wait : b->reason ? b->reason : "");
    }
    else {
        int64_t from = b->started_ms ? b->started_ms : b->created_ms;
        s_span(b->finished_ms && from ? b->finished_ms - from : 0, a, sizeof a);
        s_span(b->finished_ms ? now - b->finished_ms : 0, c, sizeof c);
        s_putf(y, x, 10, sel | s_status_attr(b->status), "%-9s", b->status);
        s_putf(y, x + 10, COLS - x - 10, sel, "%7s  %7s ago  %s", a, c,
               b->reason ? b->reason : "");
    }
}

static int
s_builds(top_app_t *app, int y, int rows_for, const char *title,
         const top_build_t *const *rows, size_t n, size_t base, int namew, int64_t now)
{
    if (rows_for < 1)
        return y;
    s_title(y++, title, n, NULL);
    size_t shown = (size_t) (rows_for - 1) < n ? (size_t) (rows_for - 1) : n;
    long sel = app->mode != TOP_LOG && app->selected >= base && app->selected < base + n
             ? (long) (app->selected - base) : -1;
    size_t first = s_scroll(sel, n, shown);
    for (size_t i = first; i < first + shown; i++)
        s_build_row(app, y++, rows[i], namew, (long) i == sel, now);
    if (n == 0 && rows_for > 1)
        s_put(y++, 1, COLS - 1, A_DIM, "-");
    return y;
}

static int
s_workers(top_app_t *app, int y, int rows_for)
{
    const top_worker_t *const *w;
    size_t n = top_model_worker_list(app->model, &w);
    if (rows_for < 1)
        return y;
    s_title(y++, "WORKERS", n, NULL);
    char age[32];
    for (size_t i = 0; i < n && (int) i < rows_for - 1; i++) {
        bool lost = w[i]->state && !strcmp(w[i]->state, "lost");
        s_putf(y++, 1, COLS - 1, lost ? s_status_attr("failed") : A_NORMAL,
               "%-16.16s %-20.20s %3u/%-3u busy  heartbeat %6s  %s", w[i]->name,
               *w[i]->tags ? w[i]->tags : "(no tags)", w[i]->busy, w[i]->slots,
               s_span(w[i]->heartbeat_age_ms, age, sizeof age),
               w[i]->state ? w[i]->state : "?");
    }
    if (n == 0 && rows_for > 1)
        s_put(y++, 1, COLS - 1, A_DIM, "-");
    return y;
}

static int
s_resources(top_app_t *app, int y, int rows_for, int64_t now)
{
    const top_resource_t *const *r;
    size_t n = top_model_resources(app->model, &r);
    if (rows_for < 1)
        return y;
    s_title(y++, "RESOURCES", n, NULL);
    char last[32], next[32], name[300];
    for (size_t i = 0; i < n && (int) i < rows_for - 1; i++) {
        snprintf(name, sizeof name, "%s/%s", r[i]->pipeline, r[i]->name);
        s_span(now - r[i]->last_check_ms, last, sizeof last);
        s_span(r[i]->next_check_ms - now, next, sizeof next);
        s_put(y, 1, 28, A_NORMAL, name);
        s_putf(y, 30, COLS - 30, A_NORMAL, "checked %7s%s  next %s%7s%s",
               r[i]->last_check_ms ? last : "never", r[i]->last_check_ms ? " ago" : "    ",
               r[i]->next_check_ms > now ? "in " : "   ",
               r[i]->next_check_ms ? (r[i]->next_check_ms > now ? next : "due") : "-",
               r[i]->pinned ? "  pinned" : "");
        if (r[i]->error) {
            int x = 30 + 44;
            s_put(y, x, COLS - x, s_status_attr("failed"), r[i]->error);
        }
        y++;
    }
    if (n == 0 && rows_for > 1)
        s_put(y++, 1, COLS - 1, A_DIM, "-");
    return y;
}

// Rows for each panel: titles first, then a fair share by priority; the
// finished builds take what is left.
static void
s_main(top_app_t *app, int64_t now_ms)
{
    int64_t now = top_model_server_ms(app->model, now_ms);
    const top_build_t *const *run, *const *queue, *const *fin;
    const top_worker_t *const *w;
    const top_resource_t *const *r;
    size_t nr = top_model_running(app->model, &run), nq = top_model_queue(app->model, &queue);
    size_t nf = top_model_finished(app->model, &fin), nw = top_model_worker_list(app->model, &w);
    size_t ns = top_model_resources(app->model, &r);
    int avail = LINES - 2;
    size_t want[5] = { nw ? nw : 1, nr ? nr : 1, nq ? nq : 1, nf ? nf : 1, ns ? ns : 1 };
    static const int first[5] = { 3, 6, 5, 0, 4 };  // rows before the rest is shared
    int get[5] = { 0 };
    for (int i = 0; i < 5; i++)
        if (avail > 0) {
            get[i] = 1;                             // the title
            avail--;
        }
    for (int i = 0; i < 5 && avail > 0; i++) {
        int n = (int) want[i] < first[i] ? (int) want[i] : first[i];
        n = n < avail ? n : avail;
        if (get[i]) {
            get[i] += n;
            avail -= n;
        }
    }
    static const int order[5] = { 3, 1, 2, 4, 0 };
    for (int k = 0; k < 5 && avail > 0; k++) {
        int i = order[k];
        int more = (int) want[i] - (get[i] - 1);
        more = more < avail ? more : avail;
        if (get[i] && more > 0) {
            get[i] += more;
            avail -= more;
        }
    }
    // one name column for the three build panels (the rows that can show)
    int namew = s_name_width(run, nr, 0, (size_t) get[1]);
    int w2 = s_name_width(queue, nq, 0, nq < 200 ? nq : 200);
    int w3 = s_name_width(fin, nf, 0, nf < 200 ? nf : 200);
    namew = w2 > namew ? w2 : namew;
    namew = w3 > namew ? w3 : namew;
    int y = 1;
    y = s_workers(app, y, get[0]);
    y = s_builds(app, y, get[1], "RUNNING", run, nr, 0, namew, now);
    y = s_builds(app, y, get[2], "QUEUE", queue, nq, nr, namew, now);
    y = s_builds(app, y, get[3], "FINISHED", fin, nf, nr + nq, namew, now);
    s_resources(app, y, get[4], now);
}

static void
s_log(top_app_t *app)
{
    top_log_t *log = app->log;
    size_t n = top_log_count(log);
    int height = LINES - 3;
    s_putf(1, 0, COLS, A_BOLD | A_UNDERLINE, "LOG %s  %s%s", top_log_title(log),
           top_log_status(log), top_log_finished(log) ? "" : " (following)");
    if (height < 1)
        return;
    size_t back = app->log_back;
    if (n > (size_t) height && back > n - (size_t) height)
        back = app->log_back = n - (size_t) height;
    if (n <= (size_t) height)
        back = app->log_back = 0;
    size_t end = n - back;
    size_t start = end > (size_t) height ? end - (size_t) height : 0;
    for (size_t i = start; i < end; i++)
        s_put(2 + (int) (i - start), 0, COLS, A_NORMAL, top_log_line(log, i));
    if (back)
        s_putf(1, COLS - 24, 24, A_REVERSE, " %zu lines back ", back);
}

static void
s_help(void)
{
    static const char *const lines[] = {
        "pikoci-top keys",
        "",
        "  Up/Down, j/k   select a build (PgUp/PgDn, Home/End)",
        "  Enter          follow the selected build's log",
        "                 (in the log: Up/Down/PgUp/PgDn scroll,",
        "                  End back to the tail, Esc or q close)",
        "  t              trigger the selected build's job",
        "  c              cancel the selected build",
        "  p              pause/unpause the selected build's job",
        "  P              pause/unpause its pipeline",
        "  /              show one pipeline (empty: all)",
        "  ?              this help (any key closes it)",
        "  q              quit",
        NULL
    };
    int h = 15, w = 60;
    int y0 = (LINES - h) / 2 > 1 ? (LINES - h) / 2 : 1;
    int x0 = (COLS - w) / 2 > 0 ? (COLS - w) / 2 : 0;
    for (int y = 0; y < h && y0 + y < LINES - 1; y++) {
        move(y0 + y, x0);
        for (int x = 0; x < w && x0 + x < COLS; x++)
            addch(' ' | A_REVERSE);
    }
    for (int i = 0; lines[i] && y0 + 1 + i < LINES - 1; i++)
        s_put(y0 + 1 + i, x0 + 2, w - 4, A_REVERSE | (i == 0 ? A_BOLD : 0), lines[i]);
}

static void
s_footer(top_app_t *app, int64_t now_ms)
{
    int y = LINES - 1;
    move(y, 0);
    attron(A_REVERSE);
    hline(' ', COLS);
    attroff(A_REVERSE);
    if (app->mode == TOP_FILTER)
        s_putf(y, 0, COLS, A_REVERSE | A_BOLD,
               " filter by pipeline (Enter: apply, empty: all): %s_", app->input);
    else
    if (app->message[0] && now_ms - app->message_ms < 10000)
        s_putf(y, 0, COLS, A_REVERSE, " %s", app->message);
    else
    if (app->mode == TOP_LOG)
        s_put(y, 0, COLS, A_REVERSE, " Esc/q back  Up/Down/PgUp/PgDn scroll  End tail  ? help");
    else
        s_put(y, 0, COLS, A_REVERSE,
              " q quit  ? help  Enter log  t trigger  c cancel  p pause  / filter");
}

void
top_view_draw(top_app_t *app, int64_t now_ms)
{
    s_sync_selection(app);
    erase();
    s_header(app, now_ms);
    if (app->log && (app->mode == TOP_LOG || app->mode == TOP_HELP))
        s_log(app);
    else
        s_main(app, now_ms);
    if (app->mode == TOP_HELP)
        s_help();
    s_footer(app, now_ms);
    refresh();
}
