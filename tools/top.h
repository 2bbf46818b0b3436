// top: what the parts of pikoci-top share. The program is a loop
// (pikoci-top.c) over four parts, split where they touch different things:
//   top_model.c  the state (snapshot + events), no curses, no sockets
//   top_feed.c   the server: connect, subscribe, snapshot, refresh, back-off
//   top_log.c    the followed build's log (its own client, tail + scroll back)
//   top_view.c   drawing with ncursesw, only when something changed
//   top_input.c  keys -> what the operator asked for
#ifndef TOP_H
#define TOP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "top_model.h"

typedef struct _top_feed_t top_feed_t;
typedef struct _top_log_t top_log_t;

// --- the server (top_feed.c)

// Connecting is asynchronous: NULL only for an unusable endpoint (*err set).
top_feed_t *top_feed_new(const char *endpoint, char **err);
void top_feed_destroy(top_feed_t **self_p);
// Connect or reconnect (with back-off), take the snapshot, apply the events
// that arrived, refresh what events do not carry. Waits at most wait_ms for
// an event. True when the model changed.
bool top_feed_tick(top_feed_t *self, top_model_t *model, int wait_ms);
bool top_feed_connected(top_feed_t *self);
// "connected", "connecting", "disconnected: retry in 3s" (borrowed).
const char *top_feed_state(top_feed_t *self);
const char *top_feed_endpoint(top_feed_t *self);
uint64_t top_feed_events(top_feed_t *self);
// A command (trigger, cancel, job.pause, ...) with its arguments as
// NULL-terminated key/value pairs. 0 ok, -1 refused or unreachable; *msg
// is the sentence to show (caller frees).
int top_feed_command(top_feed_t *self, char **msg, const char *op, ...);

// --- the followed log (top_log.c)

top_log_t *top_log_new(const char *endpoint, const char *pipeline, const char *job,
                       const char *number);
void top_log_destroy(top_log_t **self_p);
// Read what is new (when woken by an event, or every poll interval while
// the build runs). True when lines changed.
bool top_log_tick(top_log_t *self);
size_t top_log_count(top_log_t *self);
const char *top_log_line(top_log_t *self, size_t i);
const char *top_log_title(top_log_t *self);     // "ci/test #3"
const char *top_log_status(top_log_t *self);    // the build's status, or an error
bool top_log_finished(top_log_t *self);

// --- the program's state, shared by the view and the keys

typedef enum { TOP_MAIN, TOP_LOG, TOP_HELP, TOP_FILTER } top_mode_t;

typedef struct {
    top_model_t *model;
    top_feed_t *feed;
    top_log_t *log;             // the followed build's log, in TOP_LOG
    top_mode_t mode;
    size_t selected;            // index into the build rows (running, queue, finished)
    char sel_key[512];          // "P/J/N" of the selected row: kept across changes
    size_t log_back;            // lines scrolled back from the tail
    char input[128];            // the filter being typed
    char message[256];          // the last command's outcome
    int64_t message_ms;
    bool quit;
    bool dirty;                 // redraw even if the model did not change
} top_app_t;

// --- drawing (top_view.c)

int top_view_open(void);        // initscr and friends: 0, or -1 (no terminal)
void top_view_close(void);
void top_view_draw(top_app_t *app, int64_t now_ms);
// The selectable build rows in display order (running, queue, finished):
// how many, and row i (borrowed until the model changes; NULL past the end).
size_t top_view_row_count(top_app_t *app);
const top_build_t *top_view_row(top_app_t *app, size_t i);

// --- keys (top_input.c)

// Handle one key from getch(); sets app->dirty when something shows it.
void top_input_key(top_app_t *app, int key, int64_t now_ms);

#endif
