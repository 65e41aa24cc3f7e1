# Run by each test program after it is built: lists its tests and writes one ctest entry per
# test suite (`MODULE/Suite`, run as `PROGRAM --gtest_filter=Suite.*`). One process per suite, not
# per test: every process pays LibTorch's start-up (about 0.6 s), and a process per test spent
# three minutes of CPU on start-ups alone.
# Inputs: TEST_PROGRAM, MODULE, OUTPUT_FILE, TIMEOUT, WORKING_DIRECTORY.
execute_process(COMMAND "${TEST_PROGRAM}" --gtest_list_tests
                OUTPUT_VARIABLE listing RESULT_VARIABLE status TIMEOUT 120)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${TEST_PROGRAM} --gtest_list_tests failed (${status}):\n${listing}")
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(suites "")
foreach(line IN LISTS lines)
  # Suite lines start in the first column and end with '.', before an optional "# TypeParam" note.
  if(line MATCHES "^([A-Za-z0-9_/]+)\\.( .*)?$")
    list(APPEND suites "${CMAKE_MATCH_1}")
  endif()
endforeach()
list(REMOVE_DUPLICATES suites)
set(script "")
foreach(suite IN LISTS suites)
  set(name "${MODULE}/${suite}")
  string(APPEND script
    "add_test([==[${name}]==] [==[${TEST_PROGRAM}]==] [==[--gtest_filter=${suite}.*]==])\n"
    "set_tests_properties([==[${name}]==] PROPERTIES TIMEOUT ${TIMEOUT} WORKING_DIRECTORY [==[${WORKING_DIRECTORY}]==])\n")
endforeach()
file(WRITE "${OUTPUT_FILE}" "${script}")
