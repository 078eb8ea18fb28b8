# herd_core is sans-IO (docs/architecture.md#the-core-is-a-state-machine): it may not
# include networking, databases, GUI toolkits, threads, clocks or OS entropy. Fails naming
# every offending line.
file(GLOB_RECURSE sources "${CORE_DIR}/include/herd/core/*" "${CORE_DIR}/src/*")
set(forbidden
  "<boost/asio" "<boost/beast" "<asio" "<sqlite3.h>" "<Q" "<thread>" "<chrono>" "<random>"
  "<mutex>" "<future>" "<condition_variable>" "<ctime>" "<time.h>" "<sys/" "<unistd.h>"
  "<spdlog" "<fstream>" "<iostream>" "<cstdio>" "<filesystem>"
  "random_device" "system_clock" "steady_clock" "high_resolution_clock" "std::rand" "getenv")
set(failures "")
foreach(path IN LISTS sources)
  file(STRINGS "${path}" lines)
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    foreach(word IN LISTS forbidden)
      string(FIND "${line}" "${word}" at)
      if(NOT at EQUAL -1)
        string(APPEND failures "\n  ${path}:${number}: uses ${word}: ${line}")
      endif()
    endforeach()
  endforeach()
endforeach()
list(LENGTH sources count)
if(count EQUAL 0)
  message(FATAL_ERROR "purity check found no core sources under ${CORE_DIR}")
endif()
if(failures)
  message(FATAL_ERROR "herd_core must stay free of I/O, clocks, threads and entropy:${failures}")
endif()
message(STATUS "herd_core purity: ${count} files clean")
