# store/pk_builds alone (both store systems): keys with retries, steps, pins,
# pause flags, listings, pipeline removal, build number forms.
pk_add_test(test_builds SOURCES test_builds.c LIBS pk_store pk_lib)
