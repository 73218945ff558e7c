# Compile options shared by every eodclear target: eodclear_add_library / eodclear_add_executable
# apply warnings (errors with EODCLEAR_WERROR) and the sanitizer build (EODCLEAR_SANITIZE).

add_library(eodclear_compile_options INTERFACE)
target_compile_options(eodclear_compile_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wimplicit-fallthrough)
if(EODCLEAR_WERROR)
  target_compile_options(eodclear_compile_options INTERFACE -Werror)
endif()
if(EODCLEAR_SANITIZE)
  target_compile_options(eodclear_compile_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(eodclear_compile_options INTERFACE -fsanitize=address,undefined)
endif()

# eodclear_add_library(NAME SOURCES ... DEPS ...): a static library rooted at the repository, so
# includes are written from the repo root ("storage/keys.h").
function(eodclear_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE eodclear_compile_options)
endfunction()
