# The http face (actors/http*.c): webhooks, /metrics, the page in headless
# Chromium (page.sh: live log, 100 MB log; ui.sh: the web UI's acceptance),
# malformed HTTP -- each against a real `pikoci server --http`.
# cmocka: the webhook token keyspace, HMAC against Python, UTF-8 cuts and JSON text
pk_add_test(test_http SOURCES test_http.c)
pk_add_script_test(http_webhook ${CMAKE_CURRENT_SOURCE_DIR}/http/webhook.sh)
pk_add_script_test(http_metrics ${CMAKE_CURRENT_SOURCE_DIR}/http/metrics.sh)
pk_add_script_test(http_malformed ${CMAKE_CURRENT_SOURCE_DIR}/http/malformed.sh)
pk_add_script_test(http_page ${CMAKE_CURRENT_SOURCE_DIR}/http/page.sh)
pk_add_script_test(http_ui ${CMAKE_CURRENT_SOURCE_DIR}/http/ui.sh)
# each step's log_from/log_to partition the stored (masked) log of a three-step build
pk_add_script_test(http_steplog ${CMAKE_CURRENT_SOURCE_DIR}/http/steplog.sh)
pk_add_script_test(http_api_errors ${CMAKE_CURRENT_SOURCE_DIR}/http/api_errors.sh)
pk_add_script_test(http_webhook_secret_var ${CMAKE_CURRENT_SOURCE_DIR}/http/webhook_secret_var.sh)
pk_add_script_test(http_slow_followers ${CMAKE_CURRENT_SOURCE_DIR}/http/slow_followers.sh)
pk_add_script_test(http_stalled_events ${CMAKE_CURRENT_SOURCE_DIR}/http/stalled_events.sh)
pk_add_script_test(http_hog ${CMAKE_CURRENT_SOURCE_DIR}/http/hog.sh)
pk_add_script_test(http_exposure ${CMAKE_CURRENT_SOURCE_DIR}/http/exposure.sh)
pk_add_script_test(http_soak ${CMAKE_CURRENT_SOURCE_DIR}/http/soak.sh)
pk_add_script_test(http_session ${CMAKE_CURRENT_SOURCE_DIR}/http/session.sh)
pk_add_script_test(http_public ${CMAKE_CURRENT_SOURCE_DIR}/http/public.sh)
pk_add_script_test(http_teams ${CMAKE_CURRENT_SOURCE_DIR}/http/teams.sh)
pk_add_script_test(http_revoke ${CMAKE_CURRENT_SOURCE_DIR}/http/revoke.sh)
pk_add_script_test(http_default_port ${CMAKE_CURRENT_SOURCE_DIR}/http/default_port.sh)
pk_add_script_test(http_actions ${CMAKE_CURRENT_SOURCE_DIR}/http/actions.sh)
pk_add_script_test(http_tail_followers ${CMAKE_CURRENT_SOURCE_DIR}/http/tail_followers.sh)
