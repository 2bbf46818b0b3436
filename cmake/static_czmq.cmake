# pikoci-core links libczmq statically when its archive is installed
# (-DPK_STATIC_CZMQ=OFF: the shared one). Measured (bench/PROFILE-server.md,
# "Start and idle memory (start)"): Debian's libczmq.so is built BIND_NOW,
# so the loader looks up all ~730 of its symbols at every exec, and it
# brings libsystemd (with libcap, libgcrypt, libgpg-error, liblzma, liblz4)
# for one feature pikoci never uses -- zsock_bind adopting a socket handed
# over by systemd socket activation (tools/pk_sd_none.c answers "none").
# 31 -> 24 libraries mapped, exec 6.5 M -> 4.5 M instructions, ~65 page
# faults less, +330 KB of binary. (libzmq.a as well: 4.0 M, but +730 KB.)
# Only pikoci-core: it sets the PK_STATIC_CZMQ target property, which the
# generator expressions below read from the target being linked; tests and
# benches keep the shared library.
option(PK_STATIC_CZMQ "link libczmq statically into pikoci-core" ON)
find_file(PK_CZMQ_A libczmq.a PATHS ${ZMQ_LIBRARY_DIRS} NO_DEFAULT_PATH)
if(PK_STATIC_CZMQ AND PK_CZMQ_A)
    set(on "$<BOOL:$<TARGET_PROPERTY:PK_STATIC_CZMQ>>")
    set(libs "")
    get_target_property(shared PkgConfig::ZMQ INTERFACE_LINK_LIBRARIES)
    foreach(l ${shared})
        if(l MATCHES "libczmq\\.so$")
            # the archive, and what its members pikoci uses need (shared)
            list(APPEND libs "$<IF:${on},${PK_CZMQ_A},${l}>" "$<${on}:uuid>")
        else()
            list(APPEND libs "${l}")
        endif()
    endforeach()
    set_property(TARGET PkgConfig::ZMQ PROPERTY INTERFACE_LINK_LIBRARIES "${libs}")
    set_property(TARGET pikoci-core PROPERTY PK_STATIC_CZMQ ON)
    target_sources(pikoci-core PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/pk_sd_none.c)
    message(STATUS "pikoci-core: libczmq linked statically")
endif()
