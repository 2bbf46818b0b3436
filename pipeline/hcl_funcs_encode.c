// hcl_funcs_encode: base64, CSV, JSON and URL encoding functions
// (Terraform's "Encoding Functions"). csvdecode follows Go's encoding/csv
// rules (RFC 4180 quoting, every record as wide as the header line);
// jsonencode escapes like Go's encoding/json; urlencode is Go's
// url.QueryEscape.
#include "hcl_funcs.h"
#include "hcl_utf8.h"
#include <stdlib.h>
#include <string.h>

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

HCL_FN(base64encode)
{
    size_t len;
    const unsigned char *s = (const unsigned char *) hcl_arg_str(call, 0, &len);
    hcl_buf_t b;
    hcl_buf_init(&b);
    for (size_t i = 0; i < len && !b.overflow; i += 3) {
        unsigned v = (unsigned) s[i] << 16;
        if (i + 1 < len)
            v |= (unsigned) s[i + 1] << 8;
        if (i + 2 < len)
            v |= s[i + 2];
        char out[4] = { s_b64[(v >> 18) & 63], s_b64[(v >> 12) & 63],
                        i + 1 < len ? s_b64[(v >> 6) & 63] : '=', i + 2 < len ? s_b64[v & 63] : '=' };
        hcl_buf_add(&b, out, 4);
    }
    return hcl_func_string(call, &b);
}

static int
s_b64_value(char c)
{
    const char *p = c ? strchr(s_b64, c) : NULL;
    return p ? (int) (p - s_b64) : -1;
}

HCL_FN(base64decode)
{
    size_t len;
    const char *s = hcl_arg_str(call, 0, &len);
    if (len % 4 != 0)
        return hcl_func_error(call, 0, "failed to decode base64 data \"%.*s\"", (int) (len > 64 ? 64 : len), s);
    hcl_buf_t b;
    hcl_buf_init(&b);
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = s[i + (size_t) k];
            if (c == '=' && i + 4 == len && k >= 2) {
                pad++;
                v[k] = 0;
                continue;
            }
            v[k] = pad ? -1 : s_b64_value(c);
            if (v[k] < 0) {
                hcl_buf_free(&b);
                return hcl_func_error(call, 0, "failed to decode base64 data \"%.*s\"", (int) (len > 64 ? 64 : len), s);
            }
        }
        unsigned w = ((unsigned) v[0] << 18) | ((unsigned) v[1] << 12) | ((unsigned) v[2] << 6) | (unsigned) v[3];
        char out[3] = { (char) (w >> 16), (char) (w >> 8), (char) w };
        hcl_buf_add(&b, out, (size_t) (3 - pad));
    }
    if (b.data && hcl_utf8_check(b.data, b.len) != b.len) {
        hcl_buf_free(&b);
        return hcl_func_error(call, 0, "the result of decoding the provided string is not valid UTF-8");
    }
    return hcl_func_string(call, &b);
}

HCL_FN(urlencode)
{
    size_t len;
    const char *s = hcl_arg_str(call, 0, &len);
    hcl_buf_t b;
    hcl_buf_init(&b);
    for (size_t i = 0; i < len && !b.overflow; i++) {
        unsigned char c = (unsigned char) s[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                  || c == '-' || c == '_' || c == '.' || c == '~';
        if (plain)
            hcl_buf_addc(&b, (char) c);
        else if (c == ' ')
            hcl_buf_addc(&b, '+');
        else
            hcl_buf_addf(&b, "%%%02X", c);
    }
    return hcl_func_string(call, &b);
}

HCL_FN(jsonencode)
{
    char *json = hcl_value_to_json(call->args[0], true);
    if (!json)
        return hcl_func_error(call, 0, "the value is too large or holds a number JSON cannot represent");
    return hcl_value_string_take(json, strlen(json));
}

HCL_FN(jsondecode)
{
    size_t len;
    const char *s = hcl_arg_str(call, 0, &len);
    char *err = NULL;
    pk_value_t *v = pk_value_from_json(s, len, &err);
    if (!v) {
        hcl_func_error(call, 0, "%s", err ? err : "invalid JSON");
        free(err);
    }
    return v;
}

// One CSV record starting at *pos; fields appended to row. Returns 0, 1 at
// end of input (no record), -1 on a syntax error (message in *why).
static int
s_csv_record(const char *s, size_t len, size_t *pos, size_t *line, pk_value_t *row, const char **why)
{
    size_t i = *pos;
    // Go's csv reader skips empty lines.
    while (i < len && (s[i] == '\n' || (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n'))) {
        i += s[i] == '\r' ? 2 : 1;
        (*line)++;
    }
    if (i >= len) {
        *pos = i;
        return 1;
    }
    while (true) {
        hcl_buf_t f;
        hcl_buf_init(&f);
        if (i < len && s[i] == '"') {
            i++;
            while (true) {
                if (i >= len) {
                    hcl_buf_free(&f);
                    *why = "extraneous or missing \" in quoted-field";
                    return -1;
                }
                if (s[i] == '"') {
                    if (i + 1 < len && s[i + 1] == '"') {
                        hcl_buf_addc(&f, '"');
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (s[i] == '\n')
                    (*line)++;
                if (!(s[i] == '\r' && i + 1 < len && s[i + 1] == '\n'))
                    hcl_buf_addc(&f, s[i]);
                i++;
            }
            if (i < len && s[i] != ',' && s[i] != '\n' && s[i] != '\r') {
                hcl_buf_free(&f);
                *why = "extraneous or missing \" in quoted-field";
                return -1;
            }
        }
        else {
            while (i < len && s[i] != ',' && s[i] != '\n' && !(s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')) {
                if (s[i] == '"') {
                    hcl_buf_free(&f);
                    *why = "bare \" in non-quoted-field";
                    return -1;
                }
                hcl_buf_addc(&f, s[i++]);
            }
        }
        size_t flen;
        char *field = hcl_buf_take(&f, &flen);
        pk_value_list_append(row, field ? hcl_value_string_take(field, flen) : pk_value_new_string(""));
        if (i < len && s[i] == ',') {
            i++;
            continue;
        }
        if (i < len)
            i += s[i] == '\r' ? 2 : 1;
        (*line)++;
        *pos = i;
        return 0;
    }
}

HCL_FN(csvdecode)
{
    size_t len, pos = 0, line = 1;
    const char *s = hcl_arg_str(call, 0, &len);
    const char *why = NULL;
    pk_value_t *header = pk_value_new_list();
    int rc = s_csv_record(s, len, &pos, &line, header, &why);
    if (rc != 0) {
        pk_value_destroy(&header);
        if (rc > 0)
            return hcl_func_error(call, 0, "missing header line");
        return hcl_func_error(call, 0, "CSV parse error on line %zu: %s", line, why);
    }
    for (size_t i = 0; i < pk_value_len(header); i++)
        for (size_t k = 0; k < i; k++)
            if (pk_value_equal(pk_value_list_at(header, i), pk_value_list_at(header, k))) {
                const char *dup = pk_value_string(pk_value_list_at(header, i));
                hcl_func_error(call, 0, "duplicate column name \"%s\"", dup);
                pk_value_destroy(&header);
                return NULL;
            }
    pk_value_t *out = pk_value_new_list();
    while (true) {
        pk_value_t *row = pk_value_new_list();
        size_t at_line = line;
        rc = s_csv_record(s, len, &pos, &line, row, &why);
        if (rc == 0 && pk_value_len(row) != pk_value_len(header)) {
            rc = -1;
            why = "wrong number of fields";
            line = at_line;
        }
        if (rc != 0) {
            pk_value_destroy(&row);
            if (rc < 0) {
                pk_value_destroy(&out);
                hcl_func_error(call, 0, "CSV parse error on line %zu: %s", line, why);
            }
            break;
        }
        pk_value_t *obj = pk_value_new_object();
        for (size_t i = 0; i < pk_value_len(header); i++)
            pk_value_object_set(obj, pk_value_string(pk_value_list_at(header, i)),
                                pk_value_dup(pk_value_list_at(row, i)));
        pk_value_destroy(&row);
        pk_value_list_append(out, obj);
        if (hcl_value_weight(out) > HCL_MAX_WEIGHT) {
            pk_value_destroy(&out);
            hcl_func_error(call, 0, "the result would be too large");
            break;
        }
    }
    pk_value_destroy(&header);
    return out;
}
