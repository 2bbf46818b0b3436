// cmd_types: `pikoci types`, the built-in types a pipeline can name as
// `source = "pikoci://NAME"`, grouped by kind, with their params -- read
// from the embedded definitions themselves (pk_registry), so the list
// cannot drift from what pipelines get.
#include "pk_cmds.h"
#include "pk_registry.h"
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *kind;
    const char *only;      // NULL or a name
    int shown;
} s_list_t;

static int
s_show(const char *kind, const char *name, const char *params, const char *summary, void *arg)
{
    s_list_t *l = arg;
    if (strcmp(kind, l->kind) || (l->only && strcmp(l->only, name)))
        return 0;
    if (!l->shown++)
        printf("%s:\n", kind);
    printf("  pikoci://%-14s params: %s\n", name, *params ? params : "(none)");
    if (*summary)
        printf("  %-23s %s\n", "", summary);
    return 0;
}

int
pk_cmd_types(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))) {
        fprintf(argc == 2 ? stdout : stderr,
                "usage: pikoci types [NAME]\n\nLists the types built into pikoci, which a "
                "pipeline declares with\nsource = \"pikoci://NAME\" and which need no network. "
                "A type the pipeline\ndefines itself under the same name overrides the "
                "built-in.\n");
        return argc == 2 ? 0 : 2;
    }
    static const char *const kinds[] = { "resource_type", "runner_type", "service_type",
                                         "secret_type", "notification_type", NULL };
    int total = 0;
    for (size_t i = 0; kinds[i]; i++) {
        s_list_t l = { kinds[i], argc == 2 ? argv[1] : NULL, 0 };
        pk_registry_each(s_show, &l);
        total += l.shown;
    }
    if (argc == 2 && !total) {
        fprintf(stderr, "pikoci types: no built-in type \"%s\"\n", argv[1]);
        return 1;
    }
    return 0;
}
