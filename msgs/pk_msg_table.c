// pk_msg_table: every message of pikoci in one place. A row names the command
// frame and lists the body's fields (msgpack map keys) with their type, where
// they live in the struct, and whether a peer must send them. Field names are
// short lower-case words; they are the wire format, so never rename one
// (add a new field and stop sending the old one instead).
#include "pk_msg.h"
#include <string.h>

#define F(msg, field, type, req) \
    { #field, type, offsetof(pk_msg_t, msg) + offsetof(__typeof__(((pk_msg_t *) 0)->msg), field), req }

static const pk_field_t s_ready[] = {
    F(ready, name, PK_F_STR, true),
    F(ready, tags, PK_F_STRS, false),
    F(ready, slots, PK_F_U32, true),
    F(ready, exclusive, PK_F_BOOL, false),
    F(ready, holding, PK_F_STRS, false),
    F(ready, token, PK_F_STR, false),
};
static const pk_field_t s_heartbeat[] = {
    F(heartbeat, name, PK_F_STR, true),
    F(heartbeat, slots_free, PK_F_U32, true),
    F(heartbeat, seq, PK_F_U64, false),
};
static const pk_field_t s_disconnect[] = {
    F(disconnect, name, PK_F_STR, true),
    F(disconnect, reason, PK_F_STR, false),
};
static const pk_field_t s_work[] = {
    F(work, id, PK_F_STR, true),
    F(work, attempt, PK_F_U32, true),
    F(work, kind, PK_F_STR, true),
    F(work, tags, PK_F_STRS, false),
    F(work, timeout_ms, PK_F_U64, false),
    F(work, env, PK_F_KV, false),
    F(work, plan, PK_F_RAW, true),
    F(work, team, PK_F_STR, false),
    F(work, secrets, PK_F_KV, false),
};
static const pk_field_t s_cancel[] = {
    F(cancel, id, PK_F_STR, true),
    F(cancel, attempt, PK_F_U32, true),
    F(cancel, reason, PK_F_STR, false),
};
static const pk_field_t s_started[] = {
    F(started, id, PK_F_STR, true),
    F(started, attempt, PK_F_U32, true),
    F(started, worker, PK_F_STR, true),
    F(started, started_ms, PK_F_U64, false),
};
static const pk_field_t s_log[] = {
    F(log, id, PK_F_STR, true),
    F(log, attempt, PK_F_U32, true),
    F(log, step, PK_F_U32, true),
    F(log, seq, PK_F_U64, true),
    F(log, data, PK_F_BIN, true),
};
static const pk_field_t s_credit[] = {
    F(credit, id, PK_F_STR, true),
    F(credit, attempt, PK_F_U32, true),
    F(credit, credits, PK_F_U32, true),
};
static const pk_field_t s_step[] = {
    F(step, id, PK_F_STR, true),
    F(step, attempt, PK_F_U32, true),
    F(step, step, PK_F_U32, true),
    F(step, kind, PK_F_STR, false),
    F(step, name, PK_F_STR, true),
    F(step, status, PK_F_STR, true),
    F(step, exit_code, PK_F_I64, false),
    F(step, started_ms, PK_F_U64, false),
    F(step, finished_ms, PK_F_U64, false),
    F(step, message, PK_F_STR, false),
    F(step, outputs, PK_F_KV, false),
    F(step, resource, PK_F_STR, false),
    F(step, versions, PK_F_RAW, false),
};
static const pk_field_t s_done[] = {
    F(done, id, PK_F_STR, true),
    F(done, attempt, PK_F_U32, true),
    F(done, status, PK_F_STR, true),
    F(done, exit_code, PK_F_I64, false),
    F(done, reason, PK_F_STR, false),
    F(done, finished_ms, PK_F_U64, false),
};
static const pk_field_t s_versions[] = {
    F(versions, id, PK_F_STR, true),
    F(versions, attempt, PK_F_U32, true),
    F(versions, resource, PK_F_STR, true),
    F(versions, versions, PK_F_RAW, false),
    F(versions, error, PK_F_STR, false),
    F(versions, output, PK_F_STR, false),
};
static const pk_field_t s_event[] = {
    F(event, seq, PK_F_U64, true),
    F(event, topic, PK_F_STR, true),
    F(event, body, PK_F_RAW, false),
};
static const pk_field_t s_request[] = {
    F(request, rid, PK_F_U64, true),
    F(request, op, PK_F_STR, true),
    F(request, args, PK_F_KV, false),
    F(request, body, PK_F_RAW, false),
    F(request, token, PK_F_STR, false),
};
static const pk_field_t s_reply[] = {
    F(reply, rid, PK_F_U64, true),
    F(reply, ok, PK_F_BOOL, true),
    F(reply, error, PK_F_STR, false),
    F(reply, body, PK_F_RAW, false),
    F(reply, denied, PK_F_BOOL, false),
};

static const pk_field_t s_hello[] = {
    F(hello, name, PK_F_STR, true),
    F(hello, role, PK_F_STR, true),
    F(hello, token, PK_F_STR, false),
};

static const pk_field_t s_signal[] = {
    F(signal, to, PK_F_STR, true),
    F(signal, what, PK_F_STR, true),
    F(signal, args, PK_F_KV, false),
    F(signal, body, PK_F_RAW, false),
};

#define ROW(cmd, fields) { cmd, fields, sizeof(fields) / sizeof(fields[0]) }

static const pk_msg_spec_t s_table[PK_MSG_COUNT] = {
    [PK_MSG_READY] = ROW("READY", s_ready),
    [PK_MSG_HEARTBEAT] = ROW("HEARTBEAT", s_heartbeat),
    [PK_MSG_DISCONNECT] = ROW("DISCONNECT", s_disconnect),
    [PK_MSG_WORK] = ROW("WORK", s_work),
    [PK_MSG_CANCEL] = ROW("CANCEL", s_cancel),
    [PK_MSG_STARTED] = ROW("STARTED", s_started),
    [PK_MSG_LOG] = ROW("LOG", s_log),
    [PK_MSG_CREDIT] = ROW("CREDIT", s_credit),
    [PK_MSG_STEP] = ROW("STEP", s_step),
    [PK_MSG_DONE] = ROW("DONE", s_done),
    [PK_MSG_VERSIONS] = ROW("VERSIONS", s_versions),
    [PK_MSG_EVENT] = ROW("EVENT", s_event),
    [PK_MSG_REQUEST] = ROW("REQUEST", s_request),
    [PK_MSG_REPLY] = ROW("REPLY", s_reply),
    [PK_MSG_HELLO] = ROW("HELLO", s_hello),
    [PK_MSG_SIGNAL] = ROW("SIGNAL", s_signal),
};

const pk_msg_spec_t *
pk_msg_spec(pk_msg_type_t type)
{
    return (unsigned) type < PK_MSG_COUNT ? &s_table[type] : NULL;
}

const char *
pk_msg_command(pk_msg_type_t type)
{
    const pk_msg_spec_t *spec = pk_msg_spec(type);
    return spec ? spec->command : NULL;
}

int
pk_msg_type_from_command(const char *cmd, size_t len)
{
    for (int t = 0; t < PK_MSG_COUNT; t++)
        if (strlen(s_table[t].command) == len && !memcmp(s_table[t].command, cmd, len))
            return t;
    return -1;
}
