# Turns the registry's *.hcl files into one C file of string literals, so the
# built-in definitions live in the binary and are read like any other HCL.
# Invoked as: cmake -DOUT=file.c -DDIR=registry -P embed_registry.cmake
file(GLOB files ${DIR}/*.hcl)
list(SORT files)
set(body "// Generated from pipeline/registry/*.hcl by cmake/embed_registry.cmake: do not edit.\n")
string(APPEND body "#include \"pk_registry.h\"\n#include <stddef.h>\n\nconst pk_registry_entry_t pk_registry_entries[] = {\n")
foreach(f ${files})
    get_filename_component(name ${f} NAME_WE)
    file(READ ${f} text)
    string(REPLACE "\\" "\\\\" text "${text}")
    string(REPLACE "\"" "\\\"" text "${text}")
    string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
    string(APPEND body "  { \"${name}\",\n    \"${text}\" },\n")
endforeach()
string(APPEND body "  { NULL, NULL }\n};\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
