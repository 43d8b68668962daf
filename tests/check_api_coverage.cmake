# Fails unless every function declared with RBP_API in include/rbpattn/*.h is called in
# tests/test_api_errors.c (the bad-input test of the whole public API), so that a new public
# function cannot be added without its error-path test.
#   cmake -DHEADERS_DIR=<include/rbpattn> -DTEST_SOURCE=<tests/test_api_errors.c> -P check_api_coverage.cmake
# A name counts as covered when it appears as an identifier outside comments and string
# literals: a call, or an entry of a function-pointer table that the test calls through.
if(NOT HEADERS_DIR OR NOT TEST_SOURCE)
  message(FATAL_ERROR "usage: cmake -DHEADERS_DIR=... -DTEST_SOURCE=... -P check_api_coverage.cmake")
endif()

# Comments, string and character literals out (one left-to-right pass, so a quote inside a
# comment or an apostrophe inside a string does not confuse it): names in them neither
# declare nor cover anything.
function(strip_comments text out)
  set(block "/\\*([^*]|\\*+[^*/])*\\*+/")
  set(line "//[^\n]*")
  set(str "\"([^\"\\\\\n]|\\\\.)*\"")
  set(chr "'([^'\\\\\n]|\\\\.)*'")
  string(REGEX REPLACE "${block}|${line}|${str}|${chr}" " " text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

file(GLOB headers "${HEADERS_DIR}/*.h")
if(NOT headers)
  message(FATAL_ERROR "no headers in ${HEADERS_DIR}")
endif()
set(names "")
foreach(h ${headers})
  file(READ "${h}" text)
  strip_comments("${text}" text)
  # preprocessor lines (the RBP_API definition itself) out
  string(REGEX REPLACE "\n[ \t]*#[^\n]*" "\n" text "${text}")
  # "RBP_API <return type> name(": everything up to the first '(' of the declaration
  string(REGEX MATCHALL "RBP_API[^;(]*\\(" decls "${text}")
  foreach(d ${decls})
    if(d MATCHES "([A-Za-z_][A-Za-z0-9_]*)[ \t\r\n]*\\($")
      list(APPEND names ${CMAKE_MATCH_1})
    else()
      message(FATAL_ERROR "cannot find the function name in '${d}' (${h})")
    endif()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES names)
list(LENGTH names n_names)
if(n_names EQUAL 0)
  message(FATAL_ERROR "no RBP_API declarations found in ${HEADERS_DIR}: is the pattern out of date?")
endif()

file(READ "${TEST_SOURCE}" test_text)
strip_comments("${test_text}" test_text)
set(missing "")
foreach(name ${names})
  if(NOT test_text MATCHES "(^|[^A-Za-z0-9_])${name}([^A-Za-z0-9_]|$)")
    list(APPEND missing ${name})
  endif()
endforeach()

if(missing)
  list(LENGTH missing n_missing)
  string(REPLACE ";" "\n  " missing_lines "${missing}")
  message(FATAL_ERROR "${n_missing} of ${n_names} public functions are not called in ${TEST_SOURCE}; "
                      "add their NULL / bad-argument checks there:\n  ${missing_lines}")
endif()
message(STATUS "all ${n_names} RBP_API functions are called in ${TEST_SOURCE}")
