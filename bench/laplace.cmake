# The Laplace benchmarks (bench/results/laplace.md).
add_executable(laplace_gap_bench laplace_gap_bench.cpp)
target_link_libraries(laplace_gap_bench PRIVATE credence)
target_precompile_headers(laplace_gap_bench REUSE_FROM credence)
