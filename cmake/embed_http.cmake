# Turns the http actor's page (actors/http_assets/*.html|js|css) into one C
# file of byte arrays, so the page is served from the binary with no build
# step and no file to install. Bytes, not string literals: the page's text
# needs no escaping and no trigraph can hide in it.
# Invoked as: cmake -DOUT=file.c -DDIR=actors/http_assets -P embed_http.cmake
file(GLOB files ${DIR}/*.html ${DIR}/*.js ${DIR}/*.css)
list(SORT files)
set(body "// Generated from actors/http_assets/ by cmake/embed_http.cmake: do not edit.\n")
string(APPEND body "#include \"http_internal.h\"\n\n")
set(table "")
set(i 0)
foreach(f ${files})
    get_filename_component(name ${f} NAME)
    file(READ ${f} hex HEX)
    string(LENGTH "${hex}" n)
    math(EXPR size "${n} / 2")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
    string(REGEX REPLACE "((0x..,){24})" "\\1\n    " bytes "${bytes}")
    string(APPEND body "static const unsigned char s_a${i}[] = {\n    ${bytes}0 };\n")
    string(APPEND table "    { \"/${name}\", s_a${i}, ${size} },\n")
    math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "\nconst http_asset_t http_assets[] = {\n${table}    { NULL, NULL, 0 }\n};\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
