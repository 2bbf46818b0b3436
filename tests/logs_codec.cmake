# compressed log chunks: the codec and pk_logs on real LMDB, old layout included
pk_add_test(test_logs_codec SOURCES test_logs_codec.c LIBS pk_store pk_lib)
# a build printing 20 MB of typical log text: data.mdb stays far smaller, `logs` is exact
pk_add_script_test(logs_codec_e2e ${CMAKE_CURRENT_SOURCE_DIR}/logs_codec/e2e.sh)
