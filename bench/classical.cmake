# The classical-model benchmark: a plain timed program, driven by classical_bench.py, which
# times scikit-learn on the same data in the same run (see bench/results/classical.md).
add_executable(classical_bench ${CMAKE_CURRENT_LIST_DIR}/classical_bench.cpp)
target_link_libraries(classical_bench PRIVATE credence)
target_precompile_headers(classical_bench REUSE_FROM credence)
add_dependencies(benchmarks classical_bench)

# Gaussian processes on the UCI protocol (bench/results/uci.md).
add_executable(gp_uci ${CMAKE_CURRENT_LIST_DIR}/gp_uci.cpp)
target_link_libraries(gp_uci PRIVATE credence)
target_precompile_headers(gp_uci REUSE_FROM credence)
add_dependencies(benchmarks gp_uci)
