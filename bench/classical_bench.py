#!/usr/bin/env python3
"""credence against scikit-learn on the same data, in one run, as time ratios credence/sklearn.

    /usr/bin/python3 bench/classical_bench.py --bench build/bench/classical_bench [--threads 2] [--repeats 5]

Cases (issue 5): GaussianMixture, 10 components, full covariances, 20,000 points in 10
dimensions, 100 EM steps from the same start (tol=0 on both sides, so the iteration count is
equal); BayesianRidge with its defaults on 100,000 rows and 50 features. Both sides get the
same thread count (BLAS/OpenMP threads for numpy, intra-op threads for LibTorch). The data is
drawn here and handed to the C++ program as raw float64 files.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", required=True, help="path of the classical_bench executable")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--gmm-iter", type=int, default=100)
    args = parser.parse_args()
    # Thread limits must be in place before numpy loads its BLAS.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    import numpy as np
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import BayesianRidge
    from sklearn.mixture import GaussianMixture
    import warnings

    rng = np.random.RandomState(0)
    centres = rng.normal(scale=4.0, size=(10, 10))
    labels = rng.randint(10, size=20000)
    gmm_x = centres[labels] + rng.normal(size=(20000, 10)) @ np.diag(rng.uniform(0.5, 1.5, size=10))
    weights = np.full(10, 0.1)
    means = gmm_x[rng.choice(20000, 10, replace=False)]
    covariances = np.array([np.cov(gmm_x.T) for _ in range(10)])
    blr_x = rng.normal(size=(100000, 50))
    blr_y = blr_x @ rng.normal(size=50) + 0.5 * rng.normal(size=100000) + 3.0

    with tempfile.TemporaryDirectory() as scratch:
        for name, array in [("gmm_x", gmm_x), ("gmm_weights", weights), ("gmm_means", means),
                            ("gmm_covariances", covariances), ("blr_x", blr_x), ("blr_y", blr_y)]:
            np.ascontiguousarray(array, dtype=np.float64).tofile(os.path.join(scratch, name))
        completed = subprocess.run([args.bench, scratch, "--threads", str(args.threads), "--repeats", str(args.repeats),
                                    "--gmm-iter", str(args.gmm_iter)], capture_output=True, text=True)
        if completed.returncode != 0:
            sys.exit(completed.stderr.strip())
        credence = json.loads(completed.stdout)

    def median_seconds(run):
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return sorted(times)[len(times) // 2]

    precisions = np.linalg.inv(covariances)
    result = {}

    def fit_gmm():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = GaussianMixture(n_components=10, covariance_type="full", weights_init=weights, means_init=means,
                                    precisions_init=precisions, max_iter=args.gmm_iter, tol=0.0).fit(gmm_x)
        result["gmm_score"] = model.score(gmm_x)

    def fit_blr():
        result["blr"] = BayesianRidge().fit(blr_x, blr_y)

    gmm_seconds = median_seconds(fit_gmm)
    blr_seconds = median_seconds(fit_blr)
    blr = result["blr"]
    report = {
        "threads": args.threads, "sklearn_version": sklearn.__version__,
        "gmm": {"credence_s": credence["gmm_seconds"], "sklearn_s": gmm_seconds,
                "ratio": credence["gmm_seconds"] / gmm_seconds, "iterations": args.gmm_iter,
                "score_credence": credence["gmm_score"], "score_sklearn": result["gmm_score"]},
        "bayesian_ridge": {"credence_s": credence["blr_seconds"], "sklearn_s": blr_seconds,
                           "ratio": credence["blr_seconds"] / blr_seconds,
                           "n_iter_credence": credence["blr_n_iter"], "n_iter_sklearn": int(blr.n_iter_),
                           "noise_precision_credence": credence["blr_beta"], "noise_precision_sklearn": blr.alpha_},
    }
    print(json.dumps(report, indent=1))
    print(f"GMM (10 comp., full, 20000x10, {args.gmm_iter} EM steps): credence {credence['gmm_seconds']:.3f} s, "
          f"sklearn {gmm_seconds:.3f} s, ratio {report['gmm']['ratio']:.2f}")
    print(f"BayesianRidge (100000x50): credence {credence['blr_seconds']:.3f} s, sklearn {blr_seconds:.3f} s, "
          f"ratio {report['bayesian_ridge']['ratio']:.2f}")


if __name__ == "__main__":
    main()
