// top_input: what each key does. Keys act on the selected build (its job,
// its pipeline); commands go to the server at once and their outcome is
// shown in the footer. The modes -- the panels, the log pane, help, the
// filter prompt -- each read keys their own way, so a 'q' typed into the
// filter is a letter, not a quit.
#include "top.h"
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PAGE 10

static void
s_message(top_app_t *app, char *msg, int64_t now_ms)
{
    snprintf(app->message, sizeof app->message, "%s", msg ? msg : "");
    app->message_ms = now_ms;
    free(msg);
}

static void
s_select(top_app_t *app, long delta)
{
    size_t n = top_view_row_count(app);
    if (!n)
        return;
    long to = (long) app->selected + delta;
    to = to < 0 ? 0 : to >= (long) n ? (long) n - 1 : to;
    app->selected = (size_t) to;
    const top_build_t *b = top_view_row(app, app->selected);
    snprintf(app->sel_key, sizeof app->sel_key, "%s/%s/%s", b->pipeline, b->job, b->number);
}

static void
s_command(top_app_t *app, int key, int64_t now_ms)
{
    const top_build_t *b = top_view_row(app, app->selected);
    if (!b) {
        s_message(app, strdup("no build selected"), now_ms);
        return;
    }
    char *msg = NULL;
    if (key == 't')
        top_feed_command(app->feed, &msg, "trigger", "pipeline", b->pipeline, "job", b->job,
                         NULL);
    else
    if (key == 'c')
        top_feed_command(app->feed, &msg, "cancel", "pipeline", b->pipeline, "job", b->job,
                         "number", b->number, NULL);
    else
    if (key == 'p')
        top_feed_command(app->feed, &msg,
                         top_model_job_paused(app->model, b->pipeline, b->job) ? "job.unpause"
                                                                               : "job.pause",
                         "pipeline", b->pipeline, "job", b->job, NULL);
    else
        top_feed_command(app->feed, &msg,
                         top_model_pipeline_paused(app->model, b->pipeline) ? "pipeline.unpause"
                                                                            : "pipeline.pause",
                         "pipeline", b->pipeline, NULL);
    s_message(app, msg, now_ms);
}

static void
s_open_log(top_app_t *app)
{
    const top_build_t *b = top_view_row(app, app->selected);
    if (!b)
        return;
    top_log_destroy(&app->log);
    app->log = top_log_new(top_feed_endpoint(app->feed), b->pipeline, b->job, b->number);
    app->log_back = 0;
    app->mode = TOP_LOG;
}

static void
s_log_key(top_app_t *app, int key)
{
    switch (key) {
    case 'q': case 27: case KEY_BACKSPACE: case '\n': case KEY_ENTER:
        top_log_destroy(&app->log);
        app->mode = TOP_MAIN;
        break;
    case KEY_UP: case 'k':
        app->log_back++;
        break;
    case KEY_DOWN: case 'j':
        app->log_back = app->log_back ? app->log_back - 1 : 0;
        break;
    case KEY_PPAGE:
        app->log_back += (size_t) (LINES > 6 ? LINES - 4 : 1);
        break;
    case KEY_NPAGE: {
        size_t page = (size_t) (LINES > 6 ? LINES - 4 : 1);
        app->log_back = app->log_back > page ? app->log_back - page : 0;
        break;
    }
    case KEY_HOME: case 'g':
        app->log_back = top_log_count(app->log);    // the view clamps it
        break;
    case KEY_END: case 'G':
        app->log_back = 0;
        break;
    case '?':
        app->mode = TOP_HELP;
        break;
    default:
        break;
    }
}

static void
s_filter_key(top_app_t *app, int key)
{
    size_t len = strlen(app->input);
    if (key == '\n' || key == KEY_ENTER) {
        top_model_set_filter(app->model, app->input);
        app->selected = 0;
        app->sel_key[0] = 0;
        app->mode = TOP_MAIN;
    }
    else
    if (key == 27)
        app->mode = TOP_MAIN;
    else
    if ((key == KEY_BACKSPACE || key == 127 || key == 8) && len)
        app->input[len - 1] = 0;
    else
    if (key >= 0x20 && key < 0x7f && len + 1 < sizeof app->input) {
        app->input[len] = (char) key;
        app->input[len + 1] = 0;
    }
}

void
top_input_key(top_app_t *app, int key, int64_t now_ms)
{
    app->dirty = true;
    if (key == KEY_RESIZE)
        return;                         // ncurses has new LINES/COLS: just redraw
    if (app->mode == TOP_HELP) {
        app->mode = app->log ? TOP_LOG : TOP_MAIN;
        return;
    }
    if (app->mode == TOP_LOG) {
        s_log_key(app, key);
        return;
    }
    if (app->mode == TOP_FILTER) {
        s_filter_key(app, key);
        return;
    }
    switch (key) {
    case 'q':
        app->quit = true;
        break;
    case KEY_UP: case 'k':
        s_select(app, -1);
        break;
    case KEY_DOWN: case 'j':
        s_select(app, 1);
        break;
    case KEY_PPAGE:
        s_select(app, -S_PAGE);
        break;
    case KEY_NPAGE:
        s_select(app, S_PAGE);
        break;
    case KEY_HOME: case 'g':
        s_select(app, -(long) top_view_row_count(app));
        break;
    case KEY_END: case 'G':
        s_select(app, (long) top_view_row_count(app));
        break;
    case '\n': case KEY_ENTER:
        s_open_log(app);
        break;
    case 't': case 'c': case 'p': case 'P':
        s_command(app, key, now_ms);
        break;
    case '/': {
        const char *f = top_model_filter(app->model);
        snprintf(app->input, sizeof app->input, "%s", f ? f : "");
        app->mode = TOP_FILTER;
        break;
    }
    case '?':
        app->mode = TOP_HELP;
        break;
    default:
        app->dirty = false;
        break;
    }
}
