// pk_dl_mhd: libmicrohttpd, loaded at first use (see pk_dl.h). Code that calls
// it includes pk_mhd2.h, not <microhttpd.h>.
#ifndef PK_DL_MHD_H
#define PK_DL_MHD_H
#include "pk_dl.h"
#include <microhttpd.h>

// The functions of libmicrohttpd that pikoci-core calls (actors/http*.c).
// A new call needs its name here: pikoci-core does not link libmicrohttpd.
#define PK_DL_MHD_FUNCS(X) \
    X(MHD_add_response_header) \
    X(MHD_create_response_from_buffer) \
    X(MHD_create_response_from_callback) \
    X(MHD_destroy_response) \
    X(MHD_get_connection_info) \
    X(MHD_get_daemon_info) \
    X(MHD_is_feature_supported) \
    X(MHD_lookup_connection_value) \
    X(MHD_queue_response) \
    X(MHD_quiesce_daemon) \
    X(MHD_set_connection_option) \
    X(MHD_start_daemon) \
    X(MHD_stop_daemon)

typedef struct {
    PK_DL_MHD_FUNCS(PK_DL_FIELD)
} pk_dl_mhd_t;
extern pk_dl_mhd_t pk_dl_mhd;

// Loads libmicrohttpd once (thread-safe): NULL, or why it cannot be loaded
// ("cannot load SONAME: ..."), the same message every time.
const char *pk_dl_mhd_load(void);

#endif
