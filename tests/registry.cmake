# The built-in type registry (pipeline/registry/*.hcl, pk_registry) and the
# types pikoci implements in C (actors/builtin_*.c, lib/pk_jwt.c,
# lib/pk_http_call.c). The script tests need /usr/bin/python3 with
# python3-cryptography (the fake GitHub verifies the app's JWT) and git.
pk_add_test(test_registry SOURCES test_registry.c test_pipeline_util.c LIBS pk_pipeline)
pk_add_test(test_jwt SOURCES test_jwt.c LIBS pk_lib pk_dl_libs)  # makes keys with OpenSSL
# examples/pikoci-style.hcl validated and its "unit" job run; slack, discord
# and github-check against a recording server on loopback
pk_add_script_test(registry_notify_e2e ${CMAKE_SOURCE_DIR}/tests/registry/notify_e2e.py)
# the eight docker-based service types with a recording docker on PATH
pk_add_script_test(registry_services_e2e ${CMAKE_SOURCE_DIR}/tests/registry/services_e2e.py)
# the vault secret type against a fake Vault on loopback
pk_add_script_test(registry_vault_e2e ${CMAKE_SOURCE_DIR}/tests/registry/vault_e2e.py)
pk_add_test(test_registry_yaml SOURCES test_registry_yaml.c LIBS pk_actors)
# the git type's pr = true mode: PR heads on the forge's refs of a file://
# repository, a fake GitHub/GitLab/Gitea API on loopback, a real server
pk_add_script_test(registry_git_pr_e2e ${CMAKE_SOURCE_DIR}/tests/registry/git_pr_e2e.py)
# --allow-remote-types: pikoci:// names not built in, fetched from a registry on loopback
pk_add_script_test(registry_remote_types_e2e ${CMAKE_SOURCE_DIR}/tests/registry/remote_types_e2e.py)
# a slow registry holds one definition: scheduling goes on while pipelines set fetches it
pk_add_script_test(registry_slow_types_e2e ${CMAKE_SOURCE_DIR}/tests/registry/slow_types_e2e.py)
