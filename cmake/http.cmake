# The http actor (actors/http*.c): the page it serves, embedded from
# actors/http_assets/ at build time. libmicrohttpd (found in the top
# CMakeLists.txt) is dlopen'd when the actor starts (lib/pk_dl_mhd.h).
file(GLOB PK_HTTP_ASSETS CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/actors/http_assets/*.html
     ${CMAKE_SOURCE_DIR}/actors/http_assets/*.js
     ${CMAKE_SOURCE_DIR}/actors/http_assets/*.css)
set(PK_HTTP_ASSETS_C ${CMAKE_BINARY_DIR}/generated/http_assets.c)
add_custom_command(
    OUTPUT ${PK_HTTP_ASSETS_C}
    COMMAND ${CMAKE_COMMAND} -DOUT=${PK_HTTP_ASSETS_C}
            -DDIR=${CMAKE_SOURCE_DIR}/actors/http_assets
            -P ${CMAKE_SOURCE_DIR}/cmake/embed_http.cmake
    DEPENDS ${PK_HTTP_ASSETS} ${CMAKE_SOURCE_DIR}/cmake/embed_http.cmake
    COMMENT "Embedding the http page")
add_library(pk_http_assets STATIC ${PK_HTTP_ASSETS_C})
target_include_directories(pk_http_assets PRIVATE ${PK_INCLUDE_DIRS})
target_link_libraries(pk_http_assets PRIVATE pk_dl_headers PkgConfig::ZMQ PkgConfig::MSGP)
target_link_libraries(pk_actors PUBLIC pk_http_assets)
