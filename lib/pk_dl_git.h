// pk_dl_git: libgit2, loaded at first use (see pk_dl.h). Code that calls
// it includes pk_git2.h, not <git2.h>.
#ifndef PK_DL_GIT_H
#define PK_DL_GIT_H
#include "pk_dl.h"
#include <git2.h>
#include <git2/sys/config.h>       // git_config_add_file_ondisk
#include <git2/sys/repository.h>   // git_repository_set_odb, _set_config

// The functions of libgit2 that pikoci-core calls (lib/pk_git*.c, actors/builtin_github.c).
// A new call needs its name here: pikoci-core does not link libgit2.
#define PK_DL_GIT_FUNCS(X) \
    X(git_branch_create) \
    X(git_buf_dispose) \
    X(git_checkout_tree) \
    X(git_clone) \
    X(git_commit_free) \
    X(git_commit_lookup) \
    X(git_commit_time) \
    X(git_config_add_file_ondisk) \
    X(git_config_free) \
    X(git_config_new) \
    X(git_credential_ssh_key_from_agent) \
    X(git_credential_username_new) \
    X(git_credential_userpass_plaintext_new) \
    X(git_error_clear) \
    X(git_error_last) \
    X(git_error_set_str) \
    X(git_graph_descendant_of) \
    X(git_libgit2_init) \
    X(git_libgit2_shutdown) \
    X(git_object_free) \
    X(git_object_id) \
    X(git_object_lookup) \
    X(git_object_peel) \
    X(git_object_type) \
    X(git_odb_add_backend) \
    X(git_odb_backend_one_pack) \
    X(git_odb_foreach) \
    X(git_odb_free) \
    X(git_odb_new) \
    X(git_oid_equal) \
    X(git_oid_fromstr) \
    X(git_oid_tostr) \
    X(git_packbuilder_free) \
    X(git_packbuilder_insert) \
    X(git_packbuilder_name) \
    X(git_packbuilder_new) \
    X(git_packbuilder_set_threads) \
    X(git_packbuilder_write) \
    X(git_reference_free) \
    X(git_reference_iterator_free) \
    X(git_reference_iterator_new) \
    X(git_reference_name) \
    X(git_reference_name_to_id) \
    X(git_reference_next) \
    X(git_reference_target) \
    X(git_reference_type) \
    X(git_remote_connect) \
    X(git_remote_create_with_opts) \
    X(git_remote_default_branch) \
    X(git_remote_disconnect) \
    X(git_remote_fetch) \
    X(git_remote_free) \
    X(git_remote_owner) \
    X(git_remote_ls) \
    X(git_repository_free) \
    X(git_repository_init) \
    X(git_repository_open_bare) \
    X(git_repository_odb) \
    X(git_repository_open_ext) \
    X(git_repository_set_head) \
    X(git_repository_set_head_detached) \
    X(git_repository_set_config) \
    X(git_repository_set_odb) \
    X(git_revwalk_free) \
    X(git_revwalk_hide) \
    X(git_revwalk_new) \
    X(git_revwalk_next) \
    X(git_revwalk_push) \
    X(git_revwalk_sorting) \
    X(git_tag_tagger)

typedef struct {
    PK_DL_GIT_FUNCS(PK_DL_FIELD)
} pk_dl_git_t;
extern pk_dl_git_t pk_dl_git;

// Loads libgit2 once (thread-safe): NULL, or why it cannot be loaded
// ("cannot load SONAME: ..."), the same message every time.
const char *pk_dl_git_load(void);

#endif
