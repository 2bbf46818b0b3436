// pk_builds_ids: the small value helpers of pk_builds.h -- id maps
// (resource -> version id, the shape of a build's versions and a job's
// baseline), statuses, and the "3" / "3.1" build number forms. No store.
#include "pk_builds.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// --- idmap

void
pk_idmap_set(pk_idmap_t *map, const char *name, uint64_t id)
{
    for (size_t i = 0; i < map->count; i++)
        if (!strcmp(map->names[i], name)) {
            map->ids[i] = id;
            return;
        }
    map->names = realloc(map->names, (map->count + 1) * sizeof(char *));
    map->ids = realloc(map->ids, (map->count + 1) * sizeof(uint64_t));
    map->names[map->count] = strdup(name);
    map->ids[map->count++] = id;
}

uint64_t
pk_idmap_get(const pk_idmap_t *map, const char *name)
{
    for (size_t i = 0; i < map->count; i++)
        if (!strcmp(map->names[i], name))
            return map->ids[i];
    return 0;
}

void
pk_idmap_clear(pk_idmap_t *map)
{
    for (size_t i = 0; i < map->count; i++)
        free(map->names[i]);
    free(map->names);
    free(map->ids);
    memset(map, 0, sizeof(*map));
}

bool
pk_idmap_equal(const pk_idmap_t *a, const pk_idmap_t *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        bool found = false;
        for (size_t j = 0; j < b->count && !found; j++)
            found = !strcmp(a->names[i], b->names[j]) && a->ids[i] == b->ids[j];
        if (!found)
            return false;
    }
    return true;
}

void
pk_idmap_copy(pk_idmap_t *dst, const pk_idmap_t *src)
{
    memset(dst, 0, sizeof(*dst));
    for (size_t i = 0; i < src->count; i++)
        pk_idmap_set(dst, src->names[i], src->ids[i]);
}

// --- numbers and statuses

bool
pk_build_status_terminal(const char *s)
{
    return s && (!strcmp(s, "succeeded") || !strcmp(s, "failed") || !strcmp(s, "errored")
              || !strcmp(s, "cancelled") || !strcmp(s, "warning"));
}

bool
pk_build_status_passes(const char *s)
{
    return s && (!strcmp(s, "succeeded") || !strcmp(s, "warning"));
}

char *
pk_build_number_str(uint64_t number, uint32_t retry)
{
    char *s = NULL;
    int rc = retry ? asprintf(&s, "%" PRIu64 ".%" PRIu32, number, retry)
                   : asprintf(&s, "%" PRIu64, number);
    return rc < 0 ? NULL : s;
}

// Plain decimal digits, no sign or space, no overflow past max.
static int
s_digits(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    if (len == 0 || len > 20)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned) (s[i] - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int
pk_build_number_parse(const char *s, uint64_t *number, uint32_t *retry)
{
    if (!s)
        return -1;
    const char *dot = strchr(s, '.');
    uint64_t n, r = 0;
    if (s_digits(s, dot ? (size_t) (dot - s) : strlen(s), UINT64_MAX, &n) != 0 || n == 0)
        return -1;
    if (dot && (s_digits(dot + 1, strlen(dot + 1), UINT32_MAX, &r) != 0 || r == 0))
        return -1;
    *number = n;
    *retry = (uint32_t) r;
    return 0;
}
