// pk_git_mirrors: opened mirrors kept between calls (see pk_git_mirrors.h).
#include "pk_git_mirrors.h"
#include "pk_hash.h"
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

// What the mirror on disk is: its directory, and which packs it has.
typedef struct {
    dev_t dev;
    ino_t ino;
    uint64_t packs;         // sum of a hash of every name in objects/pack
    size_t count;
} s_print_t;

struct pk_git_mirror_t {
    char *path;
    pthread_mutex_t use;    // held by the thread working on the mirror
    git_repository *repo;   // NULL: not opened (or dropped)
    s_print_t print;        // the mirror as repo last saw it
    unsigned long used;     // when it was last given back (a counter)
    int takers;             // threads holding or waiting for use
};

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;   // the table
static pk_git_mirror_t *s_table[PK_GIT_MIRRORS_MAX];
static unsigned long s_clock;

static bool
s_print(const char *path, s_print_t *out)
{
    struct stat st;
    *out = (s_print_t) { 0 };
    if (stat(path, &st) != 0)
        return false;
    out->dev = st.st_dev;
    out->ino = st.st_ino;
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/objects/pack", path);
    DIR *d = opendir(dir);
    if (!d)
        return true;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            out->packs += pk_fnv1a_str(e->d_name);     // the order of names does not count
            out->count++;
        }
    closedir(d);
    return true;
}

static void
s_free(pk_git_mirror_t *m)
{
    git_repository_free(m->repo);
    pthread_mutex_destroy(&m->use);
    free(m->path);
    free(m);
}

pk_git_mirror_t *
pk_git_mirror_take(const char *path)
{
    pthread_mutex_lock(&s_lock);
    pk_git_mirror_t *m = NULL, *idle = NULL;
    size_t free_slot = PK_GIT_MIRRORS_MAX;
    for (size_t i = 0; i < PK_GIT_MIRRORS_MAX && !m; i++) {
        pk_git_mirror_t *e = s_table[i];
        if (!e)
            free_slot = free_slot < PK_GIT_MIRRORS_MAX ? free_slot : i;
        else
        if (!strcmp(e->path, path))
            m = e;
        else
        if (e->takers == 0 && (!idle || e->used < idle->used))
            idle = e;
    }
    if (!m && free_slot == PK_GIT_MIRRORS_MAX && idle) {
        // Full: the least recently used idle entry makes room.
        for (size_t i = 0; i < PK_GIT_MIRRORS_MAX; i++)
            if (s_table[i] == idle)
                free_slot = i, s_table[i] = NULL;
        s_free(idle);
    }
    if (!m && free_slot < PK_GIT_MIRRORS_MAX && (m = calloc(1, sizeof *m))) {
        if (!(m->path = strdup(path))) {
            free(m);
            m = NULL;
        }
        else {
            pthread_mutex_init(&m->use, NULL);
            s_table[free_slot] = m;
        }
    }
    if (m)
        m->takers++;
    pthread_mutex_unlock(&s_lock);
    if (m)
        pthread_mutex_lock(&m->use);
    return m;
}

git_repository *
pk_git_mirror_repo(pk_git_mirror_t *m)
{
    s_print_t now;
    if (m->repo && (!s_print(m->path, &now) || now.dev != m->print.dev
                    || now.ino != m->print.ino || now.packs != m->print.packs
                    || now.count != m->print.count)) {
        git_repository_free(m->repo);
        m->repo = NULL;
    }
    return m->repo;
}

void
pk_git_mirror_give(pk_git_mirror_t *m, git_repository *repo, bool keep)
{
    if (m->repo && m->repo != repo)
        git_repository_free(m->repo);
    m->repo = NULL;
    if (keep && repo && s_print(m->path, &m->print))
        m->repo = repo;
    else
        git_repository_free(repo);
    pthread_mutex_unlock(&m->use);
    pthread_mutex_lock(&s_lock);
    m->used = ++s_clock;
    m->takers--;
    pthread_mutex_unlock(&s_lock);
}

void
pk_git_mirrors_free(void)
{
    pthread_mutex_lock(&s_lock);
    for (size_t i = 0; i < PK_GIT_MIRRORS_MAX; i++) {
        if (s_table[i])
            s_free(s_table[i]);
        s_table[i] = NULL;
    }
    pthread_mutex_unlock(&s_lock);
}
