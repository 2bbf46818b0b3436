// test_auth: the identity keyspaces (store/pk_auth) and the audit log
// (store/pk_audit) on a real "mem" store: passwords verify only as given,
// tokens are found by themselves only, expire, are revoked by id (only the
// owner's when a user is named), memberships and their roles, the pipelines'
// teams, removal of a user with everything they had, and the audit log's
// order, filters and pages.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pk_audit.h"
#include "pk_auth.h"

static pk_store_t *s_store;
static pk_auth_t *s_auth;

static int64_t
s_usecs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
s_setup(void **state)
{
    (void) state;
    char *err = NULL;
    s_store = pk_store_open("mem", NULL, &err);
    assert_non_null(s_store);
    s_auth = pk_auth_new(s_store, &err);
    assert_non_null(s_auth);
    return 0;
}

static int
s_teardown(void **state)
{
    (void) state;
    pk_auth_destroy(&s_auth);
    pk_store_close(&s_store);
    return 0;
}

static pk_store_txn_t *
s_w(void)
{
    pk_store_txn_t *t = pk_store_begin(s_store, true);
    assert_non_null(t);
    return t;
}

static void
test_users_and_passwords(void **state)
{
    (void) state;
    pk_store_txn_t *t = s_w();
    assert_int_equal(pk_auth_user_add(s_auth, t, "ann", "correct horse", false), 0);
    assert_int_equal(pk_auth_user_add(s_auth, t, "ann", "other", false), PK_STORE_EXISTS);
    assert_int_equal(pk_auth_user_add(s_auth, t, "root", NULL, true), 0);
    assert_int_equal(pk_store_commit(&t), 0);
    assert_int_equal(pk_auth_user_verify(s_auth, "ann", "correct horse"), 0);
    assert_int_equal(pk_auth_user_verify(s_auth, "ann", "correct hors"), 1);
    assert_int_equal(pk_auth_user_verify(s_auth, "nobody", "correct horse"), 1);
    assert_int_equal(pk_auth_user_verify(s_auth, "root", ""), 1);     // no password: never
    pk_user_t u;
    assert_int_equal(pk_auth_user_get(s_auth, NULL, "root", &u), 0);
    assert_true(u.admin);
    assert_false(u.has_password);
    pk_user_clear(&u);
    t = s_w();
    assert_int_equal(pk_auth_user_set_password(s_auth, t, "root", "new secret"), 0);
    assert_int_equal(pk_store_commit(&t), 0);
    assert_int_equal(pk_auth_user_verify(s_auth, "root", "new secret"), 0);
    assert_int_equal(pk_auth_user_get(s_auth, NULL, "root", &u), 0);
    assert_true(u.admin && u.has_password);
    pk_user_clear(&u);
    // an unknown user costs what a known one does (no telling who exists by
    // time): the fastest of three of each, unknown at least half the known
    pk_auth_password_warm();
    int64_t known = INT64_MAX, unknown = INT64_MAX;
    for (int i = 0; i < 3; i++) {
        int64_t t0 = s_usecs();
        assert_int_equal(pk_auth_user_verify(s_auth, "ann", "wrong guess"), 1);
        int64_t t1 = s_usecs();
        assert_int_equal(pk_auth_user_verify(s_auth, "nobody-at-all", "wrong guess"), 1);
        int64_t t2 = s_usecs();
        known = t1 - t0 < known ? t1 - t0 : known;
        unknown = t2 - t1 < unknown ? t2 - t1 : unknown;
    }
    assert_true(unknown * 2 >= known);
    char *hash = NULL;
    assert_int_equal(pk_auth_user_hash(s_auth, "nobody-at-all", &hash), PK_STORE_NOTFOUND);
    assert_int_equal(pk_auth_password_check(NULL, "anything"), 1);
    assert_int_equal(pk_auth_password_check("", ""), 1);
    assert_int_equal(pk_auth_user_hash(s_auth, "ann", &hash), 0);
    assert_int_equal(pk_auth_password_check(hash, "correct horse"), 0);
    assert_int_equal(pk_auth_password_check(hash, "correct hors"), 1);
    free(hash);
}

static void
test_tokens(void **state)
{
    (void) state;
    pk_store_txn_t *t = s_w();
    char *a = NULL, *b = NULL, *c = NULL, ida[16], idb[16], idc[16];
    assert_int_equal(pk_auth_token_new(s_auth, t, "ann", "laptop", 0, &a, ida), 0);
    assert_int_equal(pk_auth_token_new(s_auth, t, "ann", "ci", 0, &b, idb), 0);
    assert_int_equal(pk_auth_token_new(s_auth, t, "root", "old", 1000, &c, idc), 0);
    assert_int_equal(pk_store_commit(&t), 0);
    assert_int_equal(strlen(a), PK_AUTH_TOKEN_LEN);
    assert_string_not_equal(a, b);
    char id[16];
    pk_auth_token_id(a, id);
    assert_string_equal(id, ida);
    pk_token_t tk;
    assert_int_equal(pk_auth_token_check(s_auth, NULL, a, 5000, &tk), 0);
    assert_string_equal(tk.user, "ann");
    assert_string_equal(tk.label, "laptop");
    pk_token_clear(&tk);
    a[10] ^= 1;                                         // one character off
    assert_int_equal(pk_auth_token_check(s_auth, NULL, a, 5000, &tk), PK_STORE_NOTFOUND);
    a[10] ^= 1;
    assert_int_equal(pk_auth_token_check(s_auth, NULL, c, 999, &tk), 0);
    pk_token_clear(&tk);
    assert_int_equal(pk_auth_token_check(s_auth, NULL, c, 1000, &tk), PK_STORE_NOTFOUND);
    // revoke: another user's id is not found for a named user
    t = s_w();
    assert_int_equal(pk_auth_token_revoke(s_auth, t, "root", ida), PK_STORE_NOTFOUND);
    assert_int_equal(pk_auth_token_revoke(s_auth, t, "ann", ida), 0);
    assert_int_equal(pk_auth_token_touch(s_auth, t, b, 4242), 0);
    assert_int_equal(pk_store_commit(&t), 0);
    assert_int_equal(pk_auth_token_check(s_auth, NULL, a, 5000, &tk), PK_STORE_NOTFOUND);
    pk_token_t *list = NULL;
    size_t n = 0;
    assert_int_equal(pk_auth_tokens(s_auth, NULL, "ann", &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].id, idb);
    assert_int_equal(list[0].last_used_ms, 4242);
    pk_token_clear(&list[0]);
    free(list);
    free(a);
    free(b);
    free(c);
}

static void
test_teams(void **state)
{
    (void) state;
    pk_store_txn_t *t = s_w();
    assert_int_equal(pk_auth_team_add(s_auth, t, "main"), 0);
    assert_int_equal(pk_auth_team_add(s_auth, t, "main"), PK_STORE_EXISTS);
    assert_int_equal(pk_auth_team_add(s_auth, t, "mainly"), 0);
    assert_int_equal(pk_auth_member_set(s_auth, t, "main", "ann", PK_ROLE_WRITE), 0);
    assert_int_equal(pk_auth_member_set(s_auth, t, "main", "root", PK_ROLE_ADMIN), 0);
    assert_int_equal(pk_auth_member_set(s_auth, t, "mainly", "ann", PK_ROLE_ADMIN), 0);
    assert_int_equal(pk_auth_pipeline_team_set(s_auth, t, "ci", "mainly"), 0);
    assert_int_equal(pk_store_commit(&t), 0);
    assert_int_equal(pk_auth_member_role(s_auth, NULL, "main", "ann"), PK_ROLE_WRITE);
    assert_int_equal(pk_auth_member_role(s_auth, NULL, "mai", "ann"), PK_ROLE_NONE);
    assert_int_equal(pk_auth_team_admins(s_auth, NULL, "main"), 1);
    char **users = NULL;
    pk_role_t *roles = NULL;
    size_t n = 0;
    assert_int_equal(pk_auth_members(s_auth, NULL, "main", &users, &roles, &n), 0);
    assert_int_equal(n, 2);                             // "mainly"'s are not "main"'s
    assert_string_equal(users[0], "ann");
    assert_string_equal(users[1], "root");
    for (size_t i = 0; i < n; i++)
        free(users[i]);
    free(users);
    free(roles);
    char *team = pk_auth_pipeline_team(s_auth, NULL, "ci");
    assert_string_equal(team, "mainly");
    free(team);
    assert_null(pk_auth_pipeline_team(s_auth, NULL, "c"));
    // a removed user loses memberships and tokens
    t = s_w();
    assert_int_equal(pk_auth_user_del(s_auth, t, "ann"), 0);
    assert_int_equal(pk_store_commit(&t), 0);
    assert_int_equal(pk_auth_member_role(s_auth, NULL, "mainly", "ann"), PK_ROLE_NONE);
    pk_token_t *list = NULL;
    assert_int_equal(pk_auth_tokens(s_auth, NULL, "ann", &list, &n), 0);
    assert_int_equal(n, 0);
    free(list);
    pk_role_t r;
    assert_int_equal(pk_role_parse("maintain", &r), 0);
    assert_int_equal(r, PK_ROLE_MAINTAIN);
    assert_int_equal(pk_role_parse("owner", &r), -1);
}

static void
test_audit(void **state)
{
    (void) state;
    pk_audit_t *a = pk_audit_new(s_store, NULL);
    assert_non_null(a);
    for (int i = 0; i < 30; i++) {
        char target[16];
        snprintf(target, sizeof target, "p/j/%d", i);
        assert_int_equal(pk_audit_append(a, i % 3 ? "ann" : "bob", i % 2 ? "trigger" : "cancel",
                                         target, "ok", NULL), 0);
    }
    pk_audit_entry_t *e = NULL;
    size_t n = 0;
    pk_audit_filter_t f = { .limit = 5 };
    assert_int_equal(pk_audit_query(a, &f, &e, &n), 0);
    assert_int_equal(n, 5);
    assert_string_equal(e[0].target, "p/j/29");         // newest first
    assert_string_equal(e[4].target, "p/j/25");
    for (size_t i = 0; i < n; i++)
        pk_audit_entry_clear(&e[i]);
    free(e);
    f = (pk_audit_filter_t) { .user = "bob", .action = "cancel" };
    assert_int_equal(pk_audit_query(a, &f, &e, &n), 0);
    assert_int_equal(n, 5);                             // i = 0, 6, 12, 18, 24
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(e[i].user, "bob");
        assert_string_equal(e[i].action, "cancel");
        pk_audit_entry_clear(&e[i]);
    }
    free(e);
    pk_audit_destroy(&a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_users_and_passwords),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_teams),
        cmocka_unit_test(test_audit),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
