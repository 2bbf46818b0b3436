// pikoci-top: the live terminal monitor -- what htop is to processes, for
// a pikoci server. It connects like the CLI (--server, $PIKOCI_SERVER,
// tcp://127.0.0.1:7650), takes a snapshot, then follows the event bus.
//
// One thread, one loop: read every key that is waiting (KEY_RESIZE comes
// this way too: ncurses owns SIGWINCH and no handler of ours does work),
// let the feed apply what the server sent (waiting up to 30 ms on its
// socket, so keys are answered within that), let the followed log read
// what is new, and draw -- only when the model's version moved, a key was
// handled, or a shown clock ticked (elapsed times, once a second), and at
// most 20 frames a second however many events arrive.
#include "top.h"
#include <czmq.h>
#include <curses.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_DEFAULT_SERVER "tcp://127.0.0.1:7650"
#define S_WAIT_MS 30
#define S_FRAME_MS 50
#define S_TICK_MS 1000

static volatile sig_atomic_t s_stop;

// SIGINT/SIGTERM only ask the loop to end, so the terminal is restored.
static void
s_on_signal(int sig)
{
    (void) sig;
    s_stop = 1;
}

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci-top [--server ENDPOINT]\n"
        "\n"
        "The live terminal monitor of a pikoci server: workers, running builds (step,\n"
        "elapsed, worker), the queue (and why each build waits), finished builds,\n"
        "resources, builds per minute. It follows the server's events; when the server\n"
        "goes away it says so and reconnects.\n"
        "\n"
        "keys: Up/Down or j/k select, Enter follow the build's log, t trigger its job,\n"
        "c cancel it, p pause/unpause its job (P: its pipeline), / show one pipeline,\n"
        "? help, q quit.\n"
        "\n"
        "It acts as the CLI's token does ($PIKOCI_TOKEN, else `pikoci login`'s for this\n"
        "server, else a local server's first-start token): it shows the pipelines that\n"
        "token may read, and t/c/p need the role write in the pipeline's team.\n"
        "\n"
        "options:\n"
        "  --server ENDPOINT  the server (default: $PIKOCI_SERVER, else %s)\n"
        "  -h, --help         show this help\n", S_DEFAULT_SERVER);
}

// Does the frame need drawing? Elapsed times move while builds run or wait.
static bool
s_clock_shown(top_app_t *app)
{
    const top_build_t *const *rows;
    return top_model_running(app->model, &rows) || top_model_queue(app->model, &rows)
        || !top_feed_connected(app->feed) || (app->log && !top_log_finished(app->log));
}

static int
s_run(top_app_t *app)
{
    uint64_t drawn = UINT64_MAX;
    int64_t last_frame = 0, last_tick = 0;
    char state[128] = "";
    while (!app->quit && !s_stop) {
        int64_t now = zclock_time();
        int key;
        while ((key = getch()) != ERR && !app->quit)
            top_input_key(app, key, now);
        if (app->quit)
            break;
        bool up = top_feed_connected(app->feed);
        top_feed_tick(app->feed, app->model, up ? S_WAIT_MS : 0);
        if (!up) {
            struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };
            poll(&in, 1, S_WAIT_MS);
        }
        if (app->log && top_log_tick(app->log))
            app->dirty = true;
        now = zclock_time();
        if (strcmp(state, top_feed_state(app->feed))) {
            snprintf(state, sizeof state, "%s", top_feed_state(app->feed));
            app->dirty = true;
        }
        bool tick = now - last_tick >= S_TICK_MS && s_clock_shown(app);
        bool moved = top_model_version(app->model) != drawn;
        if ((app->dirty || moved || tick) && now - last_frame >= S_FRAME_MS) {
            top_view_draw(app, now);
            drawn = top_model_version(app->model);
            app->dirty = false;
            last_frame = now;
            if (tick)
                last_tick = now;
        }
    }
    return 0;
}

int
main(int argc, char **argv)
{
    const char *server = getenv("PIKOCI_SERVER");
    if (!server || !*server)
        server = S_DEFAULT_SERVER;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            s_usage(stdout);
            return 0;
        }
        if (!strncmp(argv[i], "--server=", 9) && argv[i][9])
            server = argv[i] + 9;
        else
        if (!strcmp(argv[i], "--server") && i + 1 < argc && *argv[i + 1])
            server = argv[++i];
        else {
            fprintf(stderr, "pikoci-top: %s '%s'\n(see 'pikoci-top --help')\n",
                    !strncmp(argv[i], "--server", 8) ? "--server needs an endpoint:"
                                                     : "unknown argument", argv[i]);
            return 2;
        }
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "pikoci-top: needs a terminal (stdin and stdout)\n");
        return 2;
    }
    zsys_handler_set(NULL);         // czmq's handler would swallow SIGINT: ours ends the loop
    struct sigaction sa = { .sa_handler = s_on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    char *err = NULL;
    top_app_t app = { 0 };
    app.feed = top_feed_new(server, &err);
    if (!app.feed) {
        fprintf(stderr, "pikoci-top: %s\n", err ? err : "cannot use that endpoint");
        free(err);
        return 2;
    }
    app.model = top_model_new();
    if (top_view_open() != 0) {
        fprintf(stderr, "pikoci-top: cannot start the terminal\n");
        top_feed_destroy(&app.feed);
        top_model_destroy(&app.model);
        return 2;
    }
    int rc = s_run(&app);
    top_view_close();
    top_log_destroy(&app.log);
    top_feed_destroy(&app.feed);
    top_model_destroy(&app.model);
    return rc;
}
